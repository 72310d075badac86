"""The message catalogue (``catalogue.py``) and the texts of each area, in one ``CATALOGUE``."""

from __future__ import annotations

from streetorder.i18n import console, ingest, models, officer, records, sms
from streetorder.i18n.catalogue import (
    DEFAULT_LANGUAGE,
    LANGUAGE_NAMES,
    LANGUAGES,
    Catalogue,
    Msg,
    duration,
    merge,
    normalise_language,
    seconds_text,
)

CATALOGUE = Catalogue(
    merge(
        console.MESSAGES,
        sms.MESSAGES,
        officer.MESSAGES,
        records.MESSAGES,
        models.MESSAGES,
        ingest.MESSAGES,
    )
)
text = CATALOGUE.text
translator = CATALOGUE.translator

__all__ = [
    "CATALOGUE",
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "Msg",
    "duration",
    "normalise_language",
    "seconds_text",
    "text",
    "translator",
]
