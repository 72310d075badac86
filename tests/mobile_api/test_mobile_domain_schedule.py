"""Inspection frequency from colour, simulated day by day with a manual clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from streetorder.mobile_api.domain.clock import ManualClock
from streetorder.mobile_api.domain.risk import Colour
from streetorder.mobile_api.domain.schedule import ScheduleRules, decide, next_due
from streetorder.mobile_api.domain.urgency import TaskKind, TaskStatus, urgency_key

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def simulate(colour: Colour, days: int, rules: ScheduleRules) -> list[datetime]:
    """Each morning the scheduler runs; the officer visits every task due within 12 hours."""
    clock = ManualClock(T0)
    last: datetime | None = None
    task_due: datetime | None = None
    visits: list[datetime] = []
    for _ in range(days):
        due, decision = decide(colour, last, task_due, clock(), rules)
        if decision.create:
            task_due = due
        if decision.move_to is not None:
            task_due = decision.move_to
        if task_due is not None and task_due <= clock() + timedelta(hours=12):
            last = max(clock(), task_due)  # visits when due (later the same morning)
            visits.append(last)
            task_due = None
        clock.advance(timedelta(days=1))
    return visits


@pytest.mark.parametrize(
    ("colour", "every", "visits"),
    [(Colour.RED, 2, 30), (Colour.YELLOW, 7, 9), (Colour.GREEN, 30, 2)],
)
def test_frequencies_follow_colour(colour: Colour, every: int, visits: int) -> None:
    times = simulate(colour, 60, ScheduleRules())
    assert len(times) == visits
    gaps = {b - a for a, b in zip(times, times[1:], strict=False)}
    assert gaps <= {timedelta(days=every)}


def test_configured_frequency() -> None:
    times = simulate(Colour.RED, 30, ScheduleRules(red_days=1))
    assert len(times) == 30


def test_task_created_only_shortly_before_due() -> None:
    rules = ScheduleRules(create_ahead_hours=24)
    last = T0
    _, decision = decide(Colour.GREEN, last, None, T0 + timedelta(days=28), rules)
    assert not decision.create
    due, decision = decide(Colour.GREEN, last, None, T0 + timedelta(days=29), rules)
    assert decision.create and due == T0 + timedelta(days=30)
    due, decision = decide(Colour.GREEN, None, None, T0, rules)
    assert decision.create and due == T0  # never inspected: due now


def test_colour_up_brings_an_open_task_forward() -> None:
    rules = ScheduleRules()
    green_due = next_due(Colour.GREEN, T0, T0, rules)
    due, decision = decide(Colour.RED, T0, green_due, T0 + timedelta(hours=1), rules)
    assert decision.move_to == due == T0 + timedelta(days=2)
    _, decision = decide(Colour.GREEN, T0, T0 + timedelta(days=2), T0, rules)
    assert decision.move_to is None and not decision.create


def test_manual_clock_refuses_naive_and_backwards() -> None:
    with pytest.raises(ValueError):
        ManualClock(datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        ManualClock(T0).advance(timedelta(seconds=-1))


def test_urgency_order() -> None:
    early, late = T0, T0 + timedelta(hours=3)
    tasks = [
        ("done early", urgency_key(TaskKind.WORK_ORDER, TaskStatus.DONE, early, None, 1)),
        ("green late", urgency_key(TaskKind.INSPECTION, TaskStatus.OPEN, late, "green", 2)),
        ("red late", urgency_key(TaskKind.INSPECTION, TaskStatus.OPEN, late, "red", 3)),
        ("order late", urgency_key(TaskKind.WORK_ORDER, TaskStatus.OPEN, late, None, 4)),
        ("special early", urgency_key(TaskKind.SPECIAL, TaskStatus.IN_PROGRESS, early, None, 5)),
    ]
    ordered = [name for name, key in sorted(tasks, key=lambda t: t[1])]
    assert ordered == ["special early", "order late", "red late", "green late", "done early"]
