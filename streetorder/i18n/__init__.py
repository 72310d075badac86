"""The message catalogue (``catalogue.py``) and the texts of each area, in one ``CATALOGUE``."""

from __future__ import annotations

from streetorder.i18n import console, ingest, models, officer, reasons, records, sms
from streetorder.i18n.catalogue import (
    DEFAULT_LANGUAGE,
    LANGUAGE_NAMES,
    LANGUAGES,
    Catalogue,
    Msg,
    Reason,
    duration,
    in_language,
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
        reasons.MESSAGES,
    )
)
text = CATALOGUE.text
translator = CATALOGUE.translator


def reason_text(value: object, language: str = DEFAULT_LANGUAGE) -> str:
    """Why something was refused, in ``language``: a :class:`Reason`, or an exception whose
    message is one; any other message as it is."""
    return str(in_language(value, language))


__all__ = [
    "CATALOGUE",
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "Msg",
    "Reason",
    "in_language",
    "reason_text",
    "duration",
    "normalise_language",
    "seconds_text",
    "text",
    "translator",
]
