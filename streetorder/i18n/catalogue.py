"""The one message catalogue: every text a person reads in the console, the SMS and the officer
app, by key, in Simplified Chinese (the default) and English.

A typed Python catalogue rather than gettext ``.po`` files: no compile step, every key is a
plain string a test can find in templates, scripts and code, and each entry carries both
languages side by side, so a missing translation is a ``TypeError`` at import.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

LANGUAGES: tuple[str, ...] = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"
LANGUAGE_NAMES = {"zh-CN": "中文", "en": "English"}


@dataclass(frozen=True)
class Msg:
    """One text in both languages; ``{name}`` placeholders must be the same in both."""

    zh: str
    en: str

    def get(self, language: str) -> str:
        return self.en if language == "en" else self.zh


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def merge(*parts: Mapping[str, Msg]) -> dict[str, Msg]:
    """One catalogue from the area modules; a key defined twice is an error."""
    out: dict[str, Msg] = {}
    for part in parts:
        for key, msg in part.items():
            if key in out:
                raise ValueError(f"message key {key!r} is defined twice")
            out[key] = msg
    return out


def normalise_language(value: str | None) -> str:
    """A supported language code; anything else (or nothing) is the default, Chinese."""
    if value in LANGUAGES:
        return value  # type: ignore[return-value]
    if value and value.lower().startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE


class Catalogue:
    def __init__(self, messages: Mapping[str, Msg]) -> None:
        self.messages = dict(messages)

    def __contains__(self, key: str) -> bool:
        return key in self.messages

    def text(self, key: str, language: str = DEFAULT_LANGUAGE, /, **values: object) -> str:
        """The text of ``key`` in ``language``, filled with ``values``.

        Raises:
            KeyError: an unknown key, or a placeholder without a value.
        """
        template = self.messages[key].get(normalise_language(language))
        if not values and not placeholders(template):
            return template
        return template.format(**values)

    def translator(self, language: str) -> Callable[..., str]:
        language = normalise_language(language)

        def t(key: str, /, **values: object) -> str:
            return self.text(key, language, **values)

        t.language = language  # type: ignore[attr-defined]
        return t


def duration(span: timedelta, language: str = DEFAULT_LANGUAGE) -> str:
    """``6天23小时41分钟`` / ``6 days 23 hours 41 minutes`` (the handling time on the screen);
    under a minute in seconds (``40秒`` / ``40 seconds``), never ``0分钟``."""
    seconds = max(0, int(span.total_seconds()))
    if seconds < 60:
        english = normalise_language(language) == "en"
        return f"{seconds} second{'s' if seconds != 1 else ''}" if english else f"{seconds}秒"
    minutes = seconds // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if normalise_language(language) == "en":
        parts = []
        if days:
            parts.append(f"{days} day{'s' if days != 1 else ''}")
        if days or hours:
            parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
        return " ".join(parts)
    text = f"{days}天" if days else ""
    if days or hours:
        text += f"{hours}小时"
    return text + f"{minutes}分钟"


def seconds_text(seconds: float, language: str = DEFAULT_LANGUAGE) -> str:
    """A dwell time: ``5分20秒`` / ``5 min 20 s``; from an hour on, ``3小时6分`` / ``3 h 6 min``."""
    total = max(0, int(round(seconds)))
    minutes, secs = divmod(total, 60)
    hours, minutes = divmod(minutes, 60)
    english = normalise_language(language) == "en"
    if hours:
        return f"{hours} h {minutes} min" if english else f"{hours}小时{minutes}分"
    if english:
        return f"{minutes} min {secs} s" if minutes else f"{secs} s"
    return f"{minutes}分{secs}秒" if minutes else f"{secs}秒"


class Reason(str):
    """A refusal's sentence from the catalogue, which stays an ordinary ``str``.

    ``str(reason)`` is the English sentence, so an API's ``detail`` and every log line read as
    before; :meth:`text` is the same sentence in a reader's language for the console and the
    officer app. Values may be :class:`Msg` (a term with both words, e.g. a state's label in
    Chinese and its machine value in English) or other reasons; they are put in the same
    language.
    """

    key: str
    values: dict[str, object]

    def __new__(cls, key: str, /, **values: object) -> Reason:
        from streetorder.i18n import CATALOGUE

        self = super().__new__(cls, _fill(CATALOGUE, key, "en", values))
        self.key, self.values = key, values
        return self

    def text(self, language: str = DEFAULT_LANGUAGE) -> str:
        from streetorder.i18n import CATALOGUE

        return _fill(CATALOGUE, self.key, language, self.values)

    def __reduce__(self):  # pickles (and copies) keep the key
        return (_rebuild, (self.key, self.values))


def _rebuild(key: str, values: dict[str, object]) -> Reason:
    return Reason(key, **values)


def _fill(catalogue: Catalogue, key: str, language: str, values: Mapping[str, object]) -> str:
    return catalogue.text(key, language, **{k: in_language(v, language) for k, v in values.items()})


def in_language(value: object, language: str = DEFAULT_LANGUAGE) -> object:
    """A reason, a term or an exception whose message is a reason, in ``language``; anything
    else unchanged (an exception: its message)."""
    if isinstance(value, Reason):
        return value.text(language)
    if isinstance(value, Msg):
        return value.get(normalise_language(language))
    if isinstance(value, BaseException):
        first = value.args[0] if value.args else ""
        return in_language(first, language) if isinstance(first, Reason) else str(value)
    return value
