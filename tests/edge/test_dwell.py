"""The dwell state machine: one episode → one alert, flicker tolerance, reminders, schedules."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streetorder.contracts import ZoneRules
from streetorder.edge.dwell import IDLE, DwellEvent, EventKind, Phase, is_armed, step

RULES = ZoneRules(dwell_seconds=30, clear_seconds=10, grace_seconds=5)


def run(rules: ZoneRules, occupancy: list[bool], dt: float = 1.0, armed=None):
    state, events = IDLE, []
    for i, occ in enumerate(occupancy):
        t = i * dt
        state, new = step(state, rules, t, occ, True if armed is None else armed(t))
        events.extend(new)
    return state, events


def kinds(events: list[DwellEvent]) -> list[str]:
    return [e.kind.value for e in events]


def test_alert_once_at_threshold_then_end() -> None:
    occupancy = [False] * 5 + [True] * 60 + [False] * 15
    state, events = run(RULES, occupancy)
    assert kinds(events) == ["started", "alert", "ended"]
    started, alert, ended = events
    assert started.t == 5 and alert.t == 35 and alert.started_at == 5
    assert ended.t == 64 + 10  # last occupied at 64, clear for 10 s
    assert state.phase is Phase.IDLE


def test_flicker_and_short_occlusion_do_not_split() -> None:
    occupancy = [True] * 100
    for i in (10, 11, 12, 13, 40, 70, 71, 72, 73, 74, 75, 76, 77, 78):  # gaps < clear after alert
        occupancy[i] = False
    _, events = run(RULES, occupancy)
    assert kinds(events) == ["started", "alert"]
    assert events[1].t == 30


def test_leaving_before_dwell_discards_without_alert() -> None:
    occupancy = [True] * 20 + [False] * 10 + [True] * 35
    _, events = run(RULES, occupancy)
    assert kinds(events) == ["started", "discarded", "started", "alert"]
    assert events[-1].started_at == 30 and events[-1].t == 60


def test_realert_only_after_clear() -> None:
    occupancy = [True] * 40 + [False] * 8 + [True] * 40 + [False] * 12 + [True] * 40
    _, events = run(RULES, occupancy)
    assert kinds(events) == ["started", "alert", "ended", "started", "alert"]


def test_sporadic_detections_never_add_up_to_an_episode() -> None:
    # detected one frame in three (within grace each time): not an object that stays
    occupancy = [i % 3 == 0 for i in range(120)]
    _, events = run(RULES, occupancy)
    assert "alert" not in kinds(events)
    # two frames in three is a real, flickering object
    _, events = run(RULES, [i % 3 != 0 for i in range(120)])
    assert kinds(events).count("alert") == 1


def test_reminders() -> None:
    rules = RULES.model_copy(update={"reminder_seconds": 20})
    _, events = run(rules, [True] * 80)
    assert kinds(events) == ["started", "alert", "reminder", "reminder"]
    assert [e.reminder for e in events[1:]] == [0, 1, 2]
    assert [e.t for e in events[1:]] == [30, 50, 70]


def test_schedule_delays_alert_until_armed() -> None:
    _, events = run(RULES, [True] * 80, armed=lambda t: t >= 50)
    assert kinds(events) == ["started", "alert"]
    assert events[1].t == 50 and events[1].started_at == 0


def test_old_observations_are_ignored() -> None:
    state, _ = step(IDLE, RULES, 10.0, True)
    again, events = step(state, RULES, 5.0, True)
    assert again == state and events == ()


@pytest.mark.parametrize(
    ("schedule", "hhmm", "armed"),
    [
        ((), "03:00", True),
        (("08:00-21:00",), "07:59", False),
        (("08:00-21:00",), "08:00", True),
        (("08:00-21:00",), "21:00", False),
        (("21:00-06:00",), "23:30", True),
        (("21:00-06:00",), "05:59", True),
        (("21:00-06:00",), "12:00", False),
        (("18:00-24:00",), "23:59", True),
        (("07:00-09:00", "17:00-19:00"), "18:00", True),
    ],
)
def test_is_armed(schedule, hhmm, armed) -> None:
    local = datetime(2026, 11, 20, int(hhmm[:2]), int(hhmm[3:]))
    assert is_armed(schedule, local) is armed


occupancies = st.lists(st.booleans(), min_size=1, max_size=300)


@settings(max_examples=200, deadline=None)
@given(occupancy=occupancies, dt=st.sampled_from([0.5, 1.0, 2.0]))
def test_invariants(occupancy: list[bool], dt: float) -> None:
    _, events = run(RULES, occupancy, dt)
    alerts = [e for e in events if e.kind is EventKind.ALERT]
    ends = [e for e in events if e.kind is EventKind.ENDED]
    # never an alert without an occupied zone, never before the dwell time has passed
    if not any(occupancy):
        assert events == []
    for a in alerts:
        assert a.t - a.started_at >= RULES.dwell_seconds
    # alerts and ends alternate: one episode → one alert → at most one end
    seq = [e.kind for e in events if e.kind in (EventKind.ALERT, EventKind.ENDED)]
    for first, second in zip(seq, seq[1:], strict=False):
        assert first != second
    assert len(ends) <= len(alerts) <= len(ends) + 1
    assert not [e for e in events if e.kind is EventKind.REMINDER]  # none configured


@settings(max_examples=150, deadline=None)
@given(
    start=st.integers(0, 20),
    length=st.integers(40, 150),
    drops=st.lists(st.integers(0, 200), max_size=40),
)
def test_flicker_never_changes_the_number_of_alerts(start: int, length: int, drops) -> None:
    """Dropping single observations (gaps of 1 s < grace) inside a long episode gives one alert."""
    occupancy = [False] * start + [True] * length + [False] * 30
    for i in drops:
        # keep the first and last frames of the episode so its extent is unchanged
        if start < i < start + length - 1:
            occupancy[i] = False
            if i + 1 < start + length:
                occupancy[i + 1] = True
    _, events = run(RULES, occupancy)
    assert kinds(events).count("alert") == 1
    assert kinds(events).count("ended") == 1
    # the alert waits for an occupied observation: a dropped frame delays it by at most 2 s
    alert_t = [e for e in events if e.kind is EventKind.ALERT][0].t
    assert start + RULES.dwell_seconds <= alert_t <= start + RULES.dwell_seconds + 2
