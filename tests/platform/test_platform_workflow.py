"""The case state machine: states, roles, guards, deadlines, formatting (pure, no database)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from streetorder.platform.domain.errors import Forbidden, InvalidInput, InvalidTransition
from streetorder.platform.domain.exemption import decide_track
from streetorder.platform.domain.penalty import PenaltyRules, late_surcharge_cents
from streetorder.platform.domain.roles import Actor, Role
from streetorder.platform.domain.workflow import (
    Event,
    Limits,
    State,
    Track,
    Workflow,
    end_of_local_day,
    format_duration,
    is_overdue,
)

T0 = datetime(2026, 11, 21, 6, 5, tzinfo=UTC)  # 14:05 in Shanghai
TZ = ZoneInfo("Asia/Shanghai")
REVIEWER = Actor(Role.REVIEWER, "r")
OFFICER = Actor(Role.OFFICER, "o")
LEADER = Actor(Role.SQUAD_LEADER, "l")
SYSTEM = Actor(Role.SYSTEM, "system")


@dataclass
class FakeCase:
    state: str = State.DISCOVERED.value
    track: str | None = None
    discovered_at: datetime = T0
    step_started_at: datetime = T0
    deadline_at: datetime | None = None
    rectify_deadline_at: datetime | None = None
    confirmed_at: datetime | None = None
    rectified_at: datetime | None = None
    verified_at: datetime | None = None
    closed_at: datetime | None = None
    dispatched_at: datetime | None = None
    self_corrected_at: datetime | None = None
    updated_at: datetime = T0
    urge_count: int = 0
    extension_count: int = 0
    rework_count: int = 0


def dispatched(wf: Workflow, track: Track = Track.EXEMPT) -> FakeCase:
    case = FakeCase()
    wf.apply(case, Event.REGISTER, SYSTEM, now=T0)
    wf.apply(case, Event.CONFIRM, REVIEWER, now=T0)
    case.track = track.value
    wf.apply(case, Event.DISPATCH, REVIEWER, now=T0)
    return case


def test_happy_path_sets_deadlines_and_records_each_step() -> None:
    wf = Workflow(Limits(), TZ)
    case = dispatched(wf)
    assert case.state == State.NOTIFIED_DISPATCHED
    assert case.deadline_at == T0 + timedelta(hours=24) == case.rectify_deadline_at
    record = wf.apply(
        case, Event.RECTIFY, OFFICER, now=T0 + timedelta(hours=3), data={"photo_ids": [1]}
    )
    assert (record.from_state, record.to_state) == (State.NOTIFIED_DISPATCHED, State.RECTIFIED)
    assert case.deadline_at == T0 + timedelta(hours=27)
    wf.apply(case, Event.VERIFY, REVIEWER, now=T0 + timedelta(hours=4))
    wf.apply(case, Event.CLOSE, REVIEWER, now=T0 + timedelta(hours=5))
    assert case.state == State.CLOSED and case.closed_at == T0 + timedelta(hours=5)


@pytest.mark.parametrize(
    ("state", "event", "actor", "note", "data", "error"),
    [
        (State.PENDING_REVIEW, Event.CLOSE, REVIEWER, "", {}, InvalidTransition),
        (State.PENDING_REVIEW, Event.CONFIRM, OFFICER, "", {}, Forbidden),
        (State.PENDING_REVIEW, Event.REJECT, REVIEWER, "  ", {}, InvalidInput),
        (State.NOTIFIED_DISPATCHED, Event.RECTIFY, OFFICER, "", {}, InvalidTransition),
        (State.REJECTED, Event.CONFIRM, REVIEWER, "", {}, InvalidTransition),
        (State.CLOSED, Event.REWORK, REVIEWER, "dirty", {}, InvalidTransition),
    ],
)
def test_invalid_events_are_refused_with_reason(state, event, actor, note, data, error) -> None:
    case = FakeCase(state=state.value, deadline_at=T0)
    with pytest.raises(error) as info:
        Workflow().apply(case, event, actor, now=T0, note=note, data=data)
    assert str(info.value)
    assert case.state == state.value  # nothing changed


def test_penalty_case_cannot_close_before_payment_and_exempt_has_no_fine() -> None:
    wf = Workflow()
    case = dispatched(wf, Track.PENALTY)
    wf.apply(case, Event.RECTIFY, OFFICER, now=T0, data={"photo_ids": [1]})
    wf.apply(case, Event.VERIFY, REVIEWER, now=T0)
    with pytest.raises(InvalidTransition, match="only after the fine is paid"):
        wf.apply(case, Event.CLOSE, REVIEWER, now=T0)
    assert Event.DECIDE_FINE in wf.allowed_events(case, Role.SQUAD_LEADER, now=T0)
    wf.apply(case, Event.DECIDE_FINE, LEADER, now=T0, data={"fine_cents": 20000})
    wf.apply(case, Event.NOTIFY_PAYMENT, SYSTEM, now=T0)
    # due at the end of the 15th local day
    assert case.deadline_at == datetime(2026, 12, 6, 23, 59, 59, tzinfo=TZ)
    wf.apply(case, Event.RECORD_PAYMENT, SYSTEM, now=T0)
    wf.apply(case, Event.CLOSE, REVIEWER, now=T0)
    assert case.state == State.CLOSED

    exempt = dispatched(wf, Track.EXEMPT)
    wf.apply(exempt, Event.RECTIFY, OFFICER, now=T0, data={"photo_ids": [1]})
    wf.apply(exempt, Event.VERIFY, REVIEWER, now=T0)
    with pytest.raises(InvalidTransition, match="exempt track"):
        wf.apply(exempt, Event.DECIDE_FINE, LEADER, now=T0, data={"fine_cents": 20000})


def test_escalation_only_after_the_deadline_and_extensions_are_capped() -> None:
    wf = Workflow(Limits(max_extensions=1))
    case = dispatched(wf)
    assert not wf.needs_escalation(case, now=T0 + timedelta(hours=23))
    wf.apply(case, Event.EXTEND, OFFICER, now=T0, note="merchant away")
    assert case.rectify_deadline_at == T0 + timedelta(hours=48)
    with pytest.raises(InvalidTransition, match="at most 1 extensions"):
        wf.apply(case, Event.EXTEND, OFFICER, now=T0, note="again")
    assert not wf.needs_escalation(case, now=T0 + timedelta(hours=47))
    assert wf.needs_escalation(case, now=T0 + timedelta(hours=49))
    assert is_overdue(case, T0 + timedelta(hours=49)) and not is_overdue(case, T0)
    wf.apply(case, Event.ESCALATE, SYSTEM, now=T0 + timedelta(hours=49))
    assert case.track == Track.PENALTY


def test_allowed_events_per_role() -> None:
    wf = Workflow()
    case = FakeCase(state=State.PENDING_REVIEW.value, deadline_at=T0)
    assert set(wf.allowed_events(case, Role.REVIEWER, now=T0)) == {
        Event.CONFIRM,
        Event.REJECT,
        Event.URGE,
    }
    assert wf.allowed_events(case, Role.OFFICER, now=T0) == []


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(days=6, hours=23, minutes=41, seconds=59), "6 days 23 hours 41 minutes"),
        (timedelta(days=1, minutes=1), "1 day 0 hours 1 minute"),
        (timedelta(hours=2, minutes=5), "2 hours 5 minutes"),
        (timedelta(seconds=59), "59 seconds"),
        (timedelta(seconds=60), "1 minute"),
        (timedelta(seconds=1), "1 second"),
    ],
)
def test_handling_time_format(span: timedelta, text: str) -> None:
    assert format_duration(span) == text


def test_exemption_explained_in_city_time() -> None:
    first = decide_track(
        prior_confirmed=0, latest_prior=None, lookback_days=365, enabled=True,
        correct_by=T0 + timedelta(hours=24), tz=TZ,
    )  # fmt: skip
    assert first.track == Track.EXEMPT
    assert first.explanation == "365天内首次违法:在2026-11-22 14:05前改正的不予处罚(首违免罚)"
    repeat = decide_track(
        prior_confirmed=2, latest_prior=T0, lookback_days=365, enabled=True, correct_by=T0, tz=TZ
    )
    assert repeat.track == Track.PENALTY and "已确认违法2次" in repeat.explanation


@pytest.mark.parametrize(
    ("paid_after_days", "surcharge"),
    [(0, 0), (1, 600), (10, 6000), (33, 19800), (34, 20000), (400, 20000)],
)
def test_late_surcharge_is_capped_at_the_fine(paid_after_days: int, surcharge: int) -> None:
    due = end_of_local_day(T0, 15, TZ)
    paid = due + timedelta(days=paid_after_days)
    assert late_surcharge_cents(20000, due, paid, TZ, PenaltyRules()) == surcharge
