"""SMS templates, from the message catalogue (``sms_text.<name>`` in ``streetorder.i18n``).

Merchants get them in Chinese. Variables: sign, shop, time, place, deadline, case_number, link,
amount.
"""

from __future__ import annotations

from streetorder.i18n import CATALOGUE
from streetorder.i18n.catalogue import placeholders

SMS_LANGUAGE = "zh-CN"
NAMES = ("notice_exempt", "notice_penalty", "rework", "penalty")
VARIABLES = frozenset(
    {"sign", "shop", "time", "place", "deadline", "case_number", "link", "amount"}
)


def template_text(template: str) -> str:
    return CATALOGUE.messages[f"sms_text.{template}"].get(SMS_LANGUAGE)


def render(template: str, **values: str) -> str:
    """Fill a template by name; a missing variable is an error, never a blank in a real SMS."""
    text = template_text(template)
    missing = placeholders(text) - values.keys()
    if missing:
        raise KeyError(f"template {template!r} needs {', '.join(sorted(missing))}")
    return text.format(**values)
