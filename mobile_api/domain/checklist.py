"""Judge an inspection from its checklist answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Protocol

from streetorder.i18n import Reason
from streetorder.mobile_api.domain.risk import InspectionResult


class Answer(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "n/a"


class ItemLike(Protocol):
    @property
    def key(self) -> str: ...

    @property
    def violation(self) -> bool: ...


class ChecklistError(ValueError):
    """The answers do not fit the configured checklist; the message says which item and why."""


def judge(items: Sequence[ItemLike], answers: Mapping[str, Answer]) -> InspectionResult:
    """Every configured item must be answered, and nothing else; a failed violation item makes
    a violation, any other failure makes ``issues``, otherwise the shop is clean."""
    known = {item.key for item in items}
    unknown = sorted(set(answers) - known)
    if unknown:
        raise ChecklistError(
            Reason("checklist.unknown_item", item=repr(unknown[0]), known=sorted(known))
        )
    missing = [item.key for item in items if item.key not in answers]
    if missing:
        raise ChecklistError(Reason("checklist.unanswered", item=repr(missing[0])))
    failed = [item for item in items if answers[item.key] is Answer.FAIL]
    if any(item.violation for item in failed):
        return InspectionResult.VIOLATION
    return InspectionResult.ISSUES if failed else InspectionResult.CLEAN
