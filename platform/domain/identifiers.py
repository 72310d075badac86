"""Mainland mobile numbers and unified social credit codes (统一社会信用代码, GB 32100-2015)."""

from __future__ import annotations

import re

from streetorder.platform.domain.errors import InvalidInput

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def normalise_mobile(raw: str) -> str:
    """``+86 138-0013-8000`` → ``13800138000``; anything but a mainland mobile is refused."""
    digits = re.sub(r"[\s\-()]", "", raw)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not _MOBILE.match(digits):
        raise InvalidInput(f"{raw!r} is not a mainland China mobile number (11 digits, 13x-19x)")
    return digits


def credit_code_check_char(first17: str) -> str:
    total = sum(
        CREDIT_CODE_CHARS.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def normalise_credit_code(raw: str) -> str:
    """Upper-case, 18 characters from the allowed alphabet, with a valid check character."""
    code = raw.strip().upper()
    if len(code) != 18 or any(c not in CREDIT_CODE_CHARS for c in code):
        raise InvalidInput(f"{raw!r} is not a unified social credit code (18 characters)")
    if credit_code_check_char(code[:17]) != code[17]:
        raise InvalidInput(f"{raw!r}: the check character of the credit code is wrong")
    return code


def make_credit_code(n: int) -> str:
    """A valid (made-up) credit code for demo and test data."""
    body = f"91310115{n:09d}"
    return body + credit_code_check_char(body)
