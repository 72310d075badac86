"""Order of the officer's task list: open before done, earliest due first, then by kind.

Overdue tasks come first because their due time is earliest; on the same due time a work order
(a merchant under a deadline) beats a special inspection, which beats a routine one, and a red
shop beats a green one.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum


class TaskKind(StrEnum):
    WORK_ORDER = "work_order"  # 代办工单
    INSPECTION = "inspection"  # 检查任务
    SPECIAL = "special"  # 专项检查


class TaskStatus(StrEnum):
    OPEN = "open"  # to do
    IN_PROGRESS = "in_progress"  # acknowledged / started
    DONE = "done"  # finished by the officer (may still await verification)
    CANCELLED = "cancelled"


KIND_RANK: dict[TaskKind, int] = {
    TaskKind.WORK_ORDER: 0,
    TaskKind.SPECIAL: 1,
    TaskKind.INSPECTION: 2,
}
COLOUR_RANK: dict[str, int] = {"red": 0, "yellow": 1, "green": 2}
CLOSED = frozenset({TaskStatus.DONE, TaskStatus.CANCELLED})


def urgency_key(
    kind: TaskKind, status: TaskStatus, due_at: datetime, colour: str | None, ref: int
) -> tuple[bool, datetime, int, int, int]:
    """Sort key: smaller is more urgent."""
    return (status in CLOSED, due_at, KIND_RANK[kind], COLOUR_RANK.get(colour or "", 3), ref)
