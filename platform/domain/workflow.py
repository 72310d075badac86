"""The case state machine, in one place.

::

    discovered ─register→ pending_review ─reject(reason)→ rejected
                                         └confirm→ confirmed ─dispatch→ notified_dispatched
    notified_dispatched ─rectify(photo)→ rectified ─verify→ verified ─close→ closed   (exempt)
                        ↺ extend, urge, escalate        └rework→ notified_dispatched
    confirmed ─notify→ notified ─self_correct(camera)→ rectified          (notify_first streets)
                       notified ─dispatch (grace period over)→ notified_dispatched
    verified ─decide_fine→ fine_decided ─notify_payment→ payment_due ─record_payment→ paid
             ─close→ closed                                                          (penalty)

Each transition names its source states, its target (``None``: stays), the roles allowed and
whether a note is required; guards are pure predicates that return the reason they refuse.
:meth:`Workflow.apply` checks all of that, updates the case's state and step deadline, and returns
the audit record the caller writes in the same transaction. The allowed events per state and role
tell a UI which buttons to show.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from streetorder.i18n import Reason
from streetorder.i18n.reasons import term, terms
from streetorder.platform.domain.errors import Forbidden, InvalidInput, InvalidTransition
from streetorder.platform.domain.roles import Actor, Role


class State(StrEnum):
    DISCOVERED = "discovered"
    PENDING_REVIEW = "pending_review"
    REJECTED = "rejected"
    CONFIRMED = "confirmed"
    NOTIFIED = "notified"  # SMS sent, no officer yet: the merchant may correct (notify_first)
    NOTIFIED_DISPATCHED = "notified_dispatched"
    RECTIFIED = "rectified"
    VERIFIED = "verified"
    FINE_DECIDED = "fine_decided"
    PAYMENT_DUE = "payment_due"
    PAID = "paid"
    CLOSED = "closed"


class Event(StrEnum):
    DISCOVER = "discover"  # the case is created (no source state)
    REGISTER = "register"
    CONFIRM = "confirm"
    REJECT = "reject"
    DISPATCH = "dispatch"
    NOTIFY = "notify"  # SMS only; a grace period for the merchant to correct
    SELF_CORRECT = "self_correct"  # the camera saw the frontage clear within the grace period
    RECTIFY = "rectify"
    EXTEND = "extend"
    URGE = "urge"
    REWORK = "rework"
    VERIFY = "verify"
    ESCALATE = "escalate"
    DECIDE_FINE = "decide_fine"
    NOTIFY_PAYMENT = "notify_payment"
    RECORD_PAYMENT = "record_payment"
    CLOSE = "close"
    EPISODE_END = "episode_end"
    REMINDER = "reminder"
    REPORT = "report"  # a citizen or hotline report (Open311) opened or joined the case
    ASSIGN_SHOP = "assign_shop"  # the reviewer names the shop of an unmatched report


class Track(StrEnum):
    EXEMPT = "exempt"  # first offence: no fine if corrected in time
    PENALTY = "penalty"  # repeat offence, or not corrected in time


TERMINAL = frozenset({State.REJECTED, State.CLOSED})
OPEN_STATES = frozenset(State) - TERMINAL
#: the terminal states as stored in ``cases.state`` (for queries)
TERMINAL_VALUES: tuple[str, ...] = tuple(sorted(s.value for s in TERMINAL))


class CaseLike(Protocol):
    """The case fields the workflow reads and writes (the ORM ``Case`` satisfies it)."""

    state: str
    track: str | None
    discovered_at: datetime
    step_started_at: datetime
    deadline_at: datetime | None
    rectify_deadline_at: datetime | None
    confirmed_at: datetime | None
    rectified_at: datetime | None
    verified_at: datetime | None
    closed_at: datetime | None
    dispatched_at: datetime | None
    self_corrected_at: datetime | None
    updated_at: datetime
    urge_count: int
    extension_count: int
    rework_count: int


@dataclass
class CaseDraft:
    """A case being opened and not stored yet, with every :class:`CaseLike` field.

    :meth:`Workflow.open` fills it; the caller stores :meth:`fields` as the case's columns (the
    bulk ingest inserts many at once without the ORM).
    """

    discovered_at: datetime
    step_started_at: datetime
    updated_at: datetime
    state: str = ""
    track: str | None = None
    deadline_at: datetime | None = None
    rectify_deadline_at: datetime | None = None
    confirmed_at: datetime | None = None
    rectified_at: datetime | None = None
    verified_at: datetime | None = None
    closed_at: datetime | None = None
    dispatched_at: datetime | None = None
    self_corrected_at: datetime | None = None
    urge_count: int = 0
    extension_count: int = 0
    rework_count: int = 0

    def fields(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass(frozen=True)
class Limits:
    """Time limits per step (from the platform settings)."""

    review: timedelta = timedelta(hours=2)
    rectify: timedelta = timedelta(hours=24)
    verify: timedelta = timedelta(hours=24)
    extension: timedelta = timedelta(hours=24)
    max_extensions: int = 2
    payment_days: int = 15


@dataclass(frozen=True)
class Context:
    """What a guard may look at besides the case."""

    now: datetime
    limits: Limits
    note: str
    data: dict[str, Any]
    role: Role | None = None  # who asks


Guard = Callable[[CaseLike, Context], str | None]


def _penalty_track(case: CaseLike, _ctx: Context) -> str | None:
    if case.track != Track.PENALTY:
        return Reason("refusal.exempt_no_fine")
    return None


def _close_guard(case: CaseLike, _ctx: Context) -> str | None:
    if case.state == State.VERIFIED and case.track == Track.PENALTY:
        return Reason("refusal.penalty_close")
    return None


def _can_extend(case: CaseLike, ctx: Context) -> str | None:
    if case.extension_count >= ctx.limits.max_extensions:
        return Reason("refusal.max_extensions", count=ctx.limits.max_extensions)
    return None


def _overdue_exempt(case: CaseLike, ctx: Context) -> str | None:
    if case.track != Track.EXEMPT:
        return Reason("refusal.escalate_exempt_only")
    if case.rectify_deadline_at is None or ctx.now <= case.rectify_deadline_at:
        return Reason("refusal.deadline_not_passed")
    return None


def _has_deadline(case: CaseLike, _ctx: Context) -> str | None:
    if case.deadline_at is None:
        return Reason("refusal.no_time_limit")
    return None


def _photo_given(_case: CaseLike, ctx: Context) -> str | None:
    if not ctx.data.get("photo_ids"):
        return Reason("refusal.photo_required")
    return None


def _grace_given(_case: CaseLike, ctx: Context) -> str | None:
    if not isinstance(ctx.data.get("grace_ends_at"), datetime):
        return Reason("refusal.grace_end_required")
    return None


def _grace_over(case: CaseLike, ctx: Context) -> str | None:
    """The platform dispatches a notified case only once its grace period is over (a person
    may dispatch earlier)."""
    if (
        case.state == State.NOTIFIED
        and ctx.role == Role.SYSTEM
        and case.rectify_deadline_at is not None
        and ctx.now < case.rectify_deadline_at
    ):
        return Reason("refusal.grace_runs", until=case.rectify_deadline_at.isoformat())
    return None


def _cleared_in_grace(case: CaseLike, _ctx: Context) -> str | None:
    ended = getattr(case, "episode_ended_at", None)
    if ended is None:
        return Reason("refusal.not_seen_clear")
    if case.rectify_deadline_at is not None and ended > case.rectify_deadline_at:
        return Reason("refusal.clear_after_grace")
    return None


def _shop_given(_case: CaseLike, ctx: Context) -> str | None:
    if not ctx.data.get("shop_id"):
        return Reason("refusal.shop_required")
    return None


def _fine_given(_case: CaseLike, ctx: Context) -> str | None:
    if not isinstance(ctx.data.get("fine_cents"), int) or ctx.data["fine_cents"] <= 0:
        return Reason("refusal.fine_required")
    return None


@dataclass(frozen=True)
class Transition:
    event: Event
    sources: frozenset[State]
    target: State | None  # None: the state does not change
    roles: frozenset[Role]
    needs_note: bool = False
    guards: tuple[Guard, ...] = ()
    description: str = ""


def _t(
    event: Event,
    sources: Iterable[State],
    target: State | None,
    roles: Iterable[Role],
    *,
    needs_note: bool = False,
    guards: tuple[Guard, ...] = (),
    description: str = "",
) -> Transition:
    return Transition(
        event, frozenset(sources), target, frozenset(roles), needs_note, guards, description
    )


R = Role
S = State
COMMAND = (R.REVIEWER, R.ADMIN)
SUPERVISORS = (R.REVIEWER, R.SQUAD_LEADER, R.ADMIN)

# fmt: off
TRANSITIONS: dict[Event, Transition] = {
    t.event: t
    for t in (
        _t(Event.REGISTER, [S.DISCOVERED], S.PENDING_REVIEW, [R.SYSTEM, R.ADMIN],
           description="register the case and queue it for review"),
        _t(Event.CONFIRM, [S.PENDING_REVIEW], S.CONFIRMED, COMMAND,
           description="confirm the violation (decides exempt or penalty track)"),
        _t(Event.REJECT, [S.PENDING_REVIEW], S.REJECTED, COMMAND, needs_note=True,
           description="reject as a false positive; a reason is required"),
        _t(Event.DISPATCH, [S.CONFIRMED, S.NOTIFIED], S.NOTIFIED_DISPATCHED, [*COMMAND, R.SYSTEM],
           guards=(_grace_over,),
           description="SMS to the merchant (if not sent yet) and a work order to the squad"),
        _t(Event.NOTIFY, [S.CONFIRMED], S.NOTIFIED, [*COMMAND, R.SYSTEM], guards=(_grace_given,),
           description="notify_first: SMS only; the camera watches for the correction"),
        _t(Event.SELF_CORRECT, [S.NOTIFIED], S.RECTIFIED, [R.SYSTEM],
           guards=(_cleared_in_grace,),
           description="the camera saw the frontage clear within the grace period"),
        _t(Event.RECTIFY, [S.NOTIFIED_DISPATCHED], S.RECTIFIED,
           [R.OFFICER, R.SQUAD_LEADER, R.ADMIN], guards=(_photo_given,),
           description="the officer ordered the correction and uploads the photo"),
        _t(Event.EXTEND, [S.NOTIFIED_DISPATCHED], None, [R.OFFICER, R.SQUAD_LEADER, R.ADMIN],
           needs_note=True, guards=(_can_extend,),
           description="extend the correction deadline; a reason is required"),
        _t(Event.URGE,
           [S.PENDING_REVIEW, S.NOTIFIED, S.NOTIFIED_DISPATCHED, S.RECTIFIED, S.PAYMENT_DUE],
           None, SUPERVISORS, guards=(_has_deadline,), description="urge the current step"),
        _t(Event.ESCALATE, [S.NOTIFIED_DISPATCHED, S.RECTIFIED], None, [R.SYSTEM, R.ADMIN],
           guards=(_overdue_exempt,),
           description="a first offence not corrected in time moves to the penalty path"),
        _t(Event.REWORK, [S.RECTIFIED], S.NOTIFIED_DISPATCHED, SUPERVISORS, needs_note=True,
           description="verification failed: back to the squad; a reason is required"),
        _t(Event.VERIFY, [S.RECTIFIED], S.VERIFIED, SUPERVISORS,
           description="the re-check confirms the pavement is clear"),
        _t(Event.DECIDE_FINE, [S.VERIFIED], S.FINE_DECIDED, [R.SQUAD_LEADER, R.ADMIN],
           guards=(_penalty_track, _fine_given), description="decide the fine"),
        _t(Event.NOTIFY_PAYMENT, [S.FINE_DECIDED], S.PAYMENT_DUE,
           [R.SYSTEM, R.SQUAD_LEADER, R.ADMIN], description="notify the fine; payment due"),
        _t(Event.RECORD_PAYMENT, [S.PAYMENT_DUE], S.PAID, [R.SYSTEM, R.ADMIN],
           description="record the (online) payment"),
        _t(Event.CLOSE, [S.VERIFIED, S.PAID], S.CLOSED, COMMAND, guards=(_close_guard,),
           description="who files, verifies and closes: the command centre closes"),
        _t(Event.EPISODE_END, list(State), None, [R.SYSTEM],
           description="the camera sees the frontage clear again"),
        _t(Event.REMINDER, list(State), None, [R.SYSTEM],
           description="a reminder alert of the same episode arrived"),
        _t(Event.REPORT, list(State), None, [R.SYSTEM],
           description="a citizen or hotline report about this shop arrived (Open311)"),
        _t(Event.ASSIGN_SHOP, [S.PENDING_REVIEW], None, COMMAND, guards=(_shop_given,),
           description="name the registered shop a report is about (before confirming)"),
    )
}
# fmt: on

#: Events a person triggers (system-only events are not buttons).
USER_EVENTS = tuple(e for e, t in TRANSITIONS.items() if set(t.roles) - {Role.SYSTEM})
#: (state, role) → the user events whose state and role match (guards still to be checked).
_CANDIDATES: dict[tuple[State, Role], tuple[Event, ...]] = {
    (state, role): tuple(
        e for e in USER_EVENTS if state in TRANSITIONS[e].sources and role in TRANSITIONS[e].roles
    )
    for state in State
    for role in Role
}


@dataclass(frozen=True)
class AuditRecord:
    """What the caller writes to ``case_events`` in the same transaction."""

    event: Event
    from_state: State | None
    to_state: State
    actor: Actor
    at: datetime
    note: str
    data: dict[str, Any] = field(default_factory=dict)


def end_of_local_day(moment: datetime, days: int, tz: ZoneInfo) -> datetime:
    """The last second of the local day ``days`` after ``moment`` (city time zone)."""
    local_date = moment.astimezone(tz).date() + timedelta(days=days)
    return datetime.combine(local_date, time(23, 59, 59), tzinfo=tz)


class Workflow:
    """Applies events to cases under the configured time limits and city time zone."""

    def __init__(self, limits: Limits | None = None, tz: ZoneInfo | str = "Asia/Shanghai") -> None:
        self.limits = limits or Limits()
        self.tz = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)

    def discover(self, case: CaseLike, actor: Actor, *, now: datetime, note: str) -> AuditRecord:
        """A new case starts as discovered; the caller registers it right after."""
        case.state = State.DISCOVERED.value
        case.step_started_at = case.updated_at = now
        return AuditRecord(Event.DISCOVER, None, State.DISCOVERED, actor, now, note)

    def open(
        self, *, discovered_at: datetime, actor: Actor, now: datetime, note: str
    ) -> tuple[CaseDraft, list[AuditRecord]]:
        """A new case, discovered and registered for review, and its two audit records."""
        draft = CaseDraft(discovered_at=discovered_at, step_started_at=now, updated_at=now)
        records = [
            self.discover(draft, actor, now=now, note=note),
            self.apply(draft, Event.REGISTER, actor, now=now),
        ]
        return draft, records

    def refusal(
        self,
        case: CaseLike,
        event: Event,
        role: Role,
        *,
        now: datetime,
        note: str = "",
        data: dict[str, Any] | None = None,
    ) -> tuple[type[Exception], str] | None:
        """Why ``event`` cannot happen now (error class and reason), or ``None`` if it can."""
        transition = TRANSITIONS[event]
        state = State(case.state)
        if state not in transition.sources:
            return InvalidTransition, Reason(
                "refusal.wrong_state", event=term("event", event), state=term("state", state)
            )
        if role not in transition.roles:
            allowed = terms("role", sorted(r.value for r in transition.roles))
            return Forbidden, Reason(
                "refusal.role", role=term("role", role), event=term("event", event), allowed=allowed
            )
        if transition.needs_note and not note.strip():
            return InvalidInput, Reason("refusal.needs_note", event=term("event", event))
        ctx = Context(now, self.limits, note, data or {}, role)
        for guard in transition.guards:
            reason = guard(case, ctx)
            if reason:
                return InvalidTransition, Reason(
                    "refusal.guard", event=term("event", event), reason=reason
                )
        return None

    def allowed_events(self, case: CaseLike, role: Role, *, now: datetime) -> list[Event]:
        """Events this role may trigger now (for UI buttons). Data-dependent guards are skipped."""
        out = []
        for event in _CANDIDATES.get((State(case.state), role), ()):
            refusal = self.refusal(
                case, event, role, now=now, note="-", data={"photo_ids": [0], "fine_cents": 1}
            )
            if refusal is None:
                out.append(event)
        return out

    def apply(
        self,
        case: CaseLike,
        event: Event,
        actor: Actor,
        *,
        now: datetime,
        note: str = "",
        data: dict[str, Any] | None = None,
    ) -> AuditRecord:
        """Check and perform ``event``; return the audit record to persist with the change.

        Raises:
            InvalidTransition: wrong state or a guard refused (HTTP 409).
            Forbidden: the actor's role may not trigger this event.
            InvalidInput: a required reason is missing.
        """
        data = dict(data or {})
        refusal = self.refusal(case, event, actor.role, now=now, note=note, data=data)
        if refusal is not None:
            error, reason = refusal
            raise error(reason)
        before = State(case.state)
        target = TRANSITIONS[event].target
        self._effects(case, event, now, data)
        if target is not None:
            case.state = target.value
            case.step_started_at = now
        case.updated_at = now
        return AuditRecord(event, before, State(case.state), actor, now, note.strip(), data)

    def _effects(self, case: CaseLike, event: Event, now: datetime, data: dict[str, Any]) -> None:
        """Deadlines, counters and timestamps that belong to each event."""
        lim = self.limits
        match event:
            case Event.REGISTER:
                case.deadline_at = now + lim.review
            case Event.CONFIRM:
                case.confirmed_at = now
                case.deadline_at = None
                if "track" in data:  # the exemption decision (services/cases.confirm)
                    case.track = Track(data["track"]).value
            case Event.REJECT:
                case.deadline_at = None
                case.closed_at = now
            case Event.DISPATCH:
                case.deadline_at = case.rectify_deadline_at = now + lim.rectify
                case.dispatched_at = case.dispatched_at or now
                data["deadline_at"] = case.deadline_at.isoformat()
            case Event.NOTIFY:
                case.deadline_at = case.rectify_deadline_at = data["grace_ends_at"]
                data["grace_ends_at"] = case.deadline_at.isoformat()
            case Event.SELF_CORRECT:
                case.rectified_at = case.self_corrected_at = now
                case.deadline_at = now + lim.verify
            case Event.EXTEND:
                assert case.deadline_at is not None and case.rectify_deadline_at is not None
                case.deadline_at += lim.extension
                case.rectify_deadline_at += lim.extension
                case.extension_count += 1
                data["deadline_at"] = case.deadline_at.isoformat()
            case Event.URGE:
                case.urge_count += 1
            case Event.ESCALATE:
                case.track = Track.PENALTY.value
            case Event.RECTIFY:
                case.rectified_at = now
                case.deadline_at = now + lim.verify
            case Event.REWORK:  # an officer goes now, whoever saw the correction before
                case.rework_count += 1
                case.dispatched_at = case.dispatched_at or now
                case.self_corrected_at = None
                case.deadline_at = now + lim.rectify
                data["deadline_at"] = case.deadline_at.isoformat()
            case Event.VERIFY:
                case.verified_at = now
                case.deadline_at = None
            case Event.DECIDE_FINE:
                case.deadline_at = None
            case Event.NOTIFY_PAYMENT:
                case.deadline_at = end_of_local_day(now, lim.payment_days, self.tz)
                data["due_at"] = case.deadline_at.isoformat()
            case Event.RECORD_PAYMENT:
                case.deadline_at = None
            case Event.CLOSE:
                case.closed_at = now
                case.deadline_at = None
            case Event.EPISODE_END | Event.REMINDER | Event.REPORT | Event.ASSIGN_SHOP:
                pass

    def needs_escalation(self, case: CaseLike, *, now: datetime) -> bool:
        """A first offence whose correction deadline has passed without rectification."""
        return (
            case.state == State.NOTIFIED_DISPATCHED
            and self.refusal(case, Event.ESCALATE, Role.SYSTEM, now=now) is None
        )


def is_overdue(case: CaseLike, now: datetime) -> bool:
    """The yellow light: an open step past its time limit."""
    return case.state not in TERMINAL and case.deadline_at is not None and now > case.deadline_at


def handling_time(case: CaseLike, now: datetime) -> timedelta:
    """From discovery to closure (or to now while the case is open)."""
    end = case.closed_at if case.closed_at is not None else now
    return max(end - case.discovered_at, timedelta(0))


def format_duration(span: timedelta) -> str:
    """As the command-centre screen shows it: ``6 days 23 hours 41 minutes``; under a minute
    ``40 seconds``."""
    seconds = max(0, int(span.total_seconds()))
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = seconds // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if days or hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


def format_local(moment: datetime, tz: ZoneInfo) -> str:
    """``2026-11-22 14:05`` in the city's time zone."""
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")
