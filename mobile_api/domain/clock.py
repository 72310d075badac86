"""An injectable clock, so schedules and deadlines can be tested across simulated days."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

#: Returns the current aware UTC time.
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to (tests and simulations)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self.now = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, span: timedelta) -> datetime:
        if span < timedelta(0):
            raise ValueError("a clock cannot go backwards")
        self.now += span
        return self.now
