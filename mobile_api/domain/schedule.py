"""When a shop is next due for inspection, from its risk colour.

Red at least every 2 days, yellow weekly, green monthly by default. A shop never inspected is
due at once. A task is created once its due time is within ``create_ahead_hours`` of now, so
the list shows what is coming without filling up with next month's visits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from streetorder.mobile_api.domain.risk import Colour


class ScheduleRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    red_days: float = Field(2.0, gt=0, le=365, description="Red shops: at least this often.")
    yellow_days: float = Field(7.0, gt=0, le=365, description="Yellow shops: weekly.")
    green_days: float = Field(30.0, gt=0, le=365, description="Green shops: monthly.")
    create_ahead_hours: float = Field(
        24.0, ge=0, le=24 * 31, description="Create a task this long before it is due."
    )

    def interval(self, colour: Colour) -> timedelta:
        days = {Colour.RED: self.red_days, Colour.YELLOW: self.yellow_days}.get(
            colour, self.green_days
        )
        return timedelta(days=days)


def next_due(
    colour: Colour, last_inspected_at: datetime | None, now: datetime, rules: ScheduleRules
) -> datetime:
    """When the next inspection is due (``now`` for a shop never inspected)."""
    if last_inspected_at is None:
        return now
    return last_inspected_at + rules.interval(colour)


@dataclass(frozen=True)
class ScheduleDecision:
    """What the scheduler should do for one shop."""

    create: bool  # no open task and one is due soon: create it
    move_to: datetime | None  # an open task exists but is due later than it should: bring forward


def decide(
    colour: Colour,
    last_inspected_at: datetime | None,
    open_task_due_at: datetime | None,
    now: datetime,
    rules: ScheduleRules,
) -> tuple[datetime, ScheduleDecision]:
    """The due time and what to do about the shop's open routine task, if any."""
    due = next_due(colour, last_inspected_at, now, rules)
    if open_task_due_at is not None:
        return due, ScheduleDecision(False, due if due < open_task_due_at else None)
    soon = due <= now + timedelta(hours=rules.create_ahead_hours)
    return due, ScheduleDecision(soon, None)
