"""The per-zone violation episode state machine: pure, returns its new state and events.

The episode is about the zone being occupied by goods-class objects, not about one track: any
qualifying object keeps it alive, so track switches, flicker and brief occlusions (gaps shorter
than ``grace_seconds`` before the alert, ``clear_seconds`` after it) never split an episode.

    idle ──occupied──▶ pending ──dwell reached, mostly occupied, armed──▶ alerted
    pending ──empty longer than grace_seconds──▶ idle (no alert was sent)
    alerted ──reminder_seconds──▶ reminder;  alerted ──clear for clear_seconds──▶ idle (ended)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time
from enum import StrEnum

from streetorder.contracts import ZoneRules


class Phase(StrEnum):
    IDLE = "idle"
    PENDING = "pending"
    ALERTED = "alerted"


class EventKind(StrEnum):
    STARTED = "started"  # the zone became occupied (a candidate episode)
    ALERT = "alert"  # the dwell threshold was crossed: one per episode
    REMINDER = "reminder"  # the episode is still going after reminder_seconds
    ENDED = "ended"  # an alerted episode's zone was clear for clear_seconds
    DISCARDED = "discarded"  # a candidate left before the dwell threshold


@dataclass(frozen=True)
class DwellState:
    """Times are seconds on one clock (e.g. POSIX time of the frames)."""

    phase: Phase = Phase.IDLE
    started_at: float | None = None  # first occupied observation of the episode
    last_occupied_at: float | None = None
    last_alert_at: float | None = None
    alerts: int = 0  # alerts sent in this episode (first + reminders)
    last_t: float | None = None
    seen: int = 0  # observations since the episode started
    occupied: int = 0  # ...of which the zone was occupied


@dataclass(frozen=True)
class DwellEvent:
    kind: EventKind
    t: float  # when it was decided (the observation time)
    started_at: float  # the episode's start
    reminder: int = 0  # 0 for the first alert, then 1, 2...


IDLE = DwellState()
#: Share of a candidate episode's observations that must be occupied before it alerts: an object
#: detected only now and then (a misclassified passer-by) never adds up to an episode.
MIN_OCCUPIED_SHARE = 0.5


def step(
    state: DwellState,
    rules: ZoneRules,
    t: float,
    occupied: bool,
    armed: bool = True,
    min_occupied_share: float = MIN_OCCUPIED_SHARE,
) -> tuple[DwellState, tuple[DwellEvent, ...]]:
    """Advance one observation at time ``t``; return the new state and what happened.

    ``occupied``: at least one qualifying object is in the zone now. ``armed``: the alarm
    schedule allows alerts now (dwell keeps counting outside the schedule). Observations
    older than the last one are ignored.
    """
    if state.last_t is not None and t < state.last_t:
        return state, ()
    state = replace(state, last_t=t)
    if state.phase is Phase.IDLE:
        if not occupied:
            return state, ()
        state = replace(
            state,
            phase=Phase.PENDING,
            started_at=t,
            last_occupied_at=t,
            alerts=0,
            seen=1,
            occupied=1,
        )
        started = DwellEvent(EventKind.STARTED, t, t)
        state, events = _pending(state, rules, t, armed, min_occupied_share)
        return state, (started, *events)

    assert state.started_at is not None and state.last_occupied_at is not None
    if occupied:
        state = replace(state, last_occupied_at=t)
    gap = t - state.last_occupied_at

    if state.phase is Phase.PENDING:
        if gap > rules.grace_seconds:
            return _reset(state), (DwellEvent(EventKind.DISCARDED, t, state.started_at),)
        state = replace(state, seen=state.seen + 1, occupied=state.occupied + int(occupied))
        if not occupied:
            return state, ()
        return _pending(state, rules, t, armed, min_occupied_share)

    # alerted
    if gap >= rules.clear_seconds:
        return _reset(state), (DwellEvent(EventKind.ENDED, t, state.started_at),)
    if (
        occupied
        and armed
        and rules.reminder_seconds is not None
        and state.last_alert_at is not None
        and t - state.last_alert_at >= rules.reminder_seconds
    ):
        n = state.alerts
        state = replace(state, last_alert_at=t, alerts=n + 1)
        return state, (DwellEvent(EventKind.REMINDER, t, state.started_at, reminder=n),)
    return state, ()


def _pending(
    state: DwellState, rules: ZoneRules, t: float, armed: bool, min_share: float
) -> tuple[DwellState, tuple[DwellEvent, ...]]:
    assert state.started_at is not None
    share = state.occupied / max(1, state.seen)
    if armed and t - state.started_at >= rules.dwell_seconds and share >= min_share:
        state = replace(state, phase=Phase.ALERTED, last_alert_at=t, alerts=1)
        return state, (DwellEvent(EventKind.ALERT, t, state.started_at),)
    return state, ()


def _reset(state: DwellState) -> DwellState:
    return DwellState(last_t=state.last_t)


def parse_window(window: str) -> tuple[time, time | None]:
    """``"HH:MM-HH:MM"`` → (start, end); end None means midnight (24:00)."""
    start_s, end_s = window.split("-")
    start = time(int(start_s[:2]), int(start_s[3:]))
    end_h, end_m = int(end_s[:2]), int(end_s[3:])
    return start, (None if end_h == 24 else time(end_h, end_m))


def is_armed(schedule: tuple[str, ...], local: datetime) -> bool:
    """Whether ``local`` (already in the node's time zone) falls in one of the alarm windows.

    Empty schedule: always armed. A window whose end is before its start spans midnight
    (``"21:00-06:00"``).
    """
    if not schedule:
        return True
    now = local.time().replace(tzinfo=None)
    for window in schedule:
        start, end = parse_window(window)
        if end is None:
            if now >= start:
                return True
        elif start <= end:
            if start <= now < end:
                return True
        elif now >= start or now < end:
            return True
    return False
