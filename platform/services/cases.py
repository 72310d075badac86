"""Case use cases: every workflow step, each with its audit row in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from streetorder.i18n import Reason, text
from streetorder.platform.db import (
    AlertRecord,
    Case,
    CaseEvent,
    EvidenceFile,
    Penalty,
    SmsMessage,
    Street,
)
from streetorder.platform.db.cases import yellow_light
from streetorder.platform.domain.errors import InvalidInput, InvalidTransition, NotFound
from streetorder.platform.domain.exemption import decide_track, escalation_note
from streetorder.platform.domain.ignore_regions import is_fixed_structure
from streetorder.platform.domain.penalty import (
    amount_due_cents,
    check_fine,
    days_late,
    late_surcharge_cents,
)
from streetorder.platform.domain.roles import SYSTEM, Actor, Role
from streetorder.platform.domain.workflow import AuditRecord, Event, State, Track
from streetorder.platform.services import ignore_regions, sms, work_orders
from streetorder.platform.services.case_audit import audit_row
from streetorder.platform.services.paging import page
from streetorder.platform.services.registry import squad_for_street
from streetorder.platform.services.rules import Rules

SCOPED_ROLES = (Role.OFFICER, Role.SQUAD_LEADER)


def transition(
    session: Session, *, case: Case, event: Event, actor: Actor, rules: Rules, now: datetime,
    note: str = "", data: dict[str, Any] | None = None,
) -> CaseEvent:  # fmt: skip
    """Apply one event through the state machine and add its audit row (same transaction)."""
    record = rules.workflow.apply(case, event, actor, now=now, note=note, data=data)
    return write_audit(session, case=case, record=record)


def write_audit(session: Session, *, case: Case, record: AuditRecord, **outcome: Any) -> CaseEvent:
    """Add the audit row of an applied event, with what it caused (the ids of the work order and
    SMS it made...): an event that has effects is applied first and its row written once, after
    them."""
    if outcome:
        record = replace(record, data={**record.data, **outcome})
    row = audit_row(case.id, record)
    session.add(row)
    return row


def get_case(
    session: Session, *, case_id: int, actor: Actor | None = None, lock: bool = False
) -> Case:
    """A case; officers and squad leaders only see their squad's (others answer 404)."""
    case = session.get(Case, case_id, with_for_update=lock)
    if case is None or (
        actor is not None and actor.role in SCOPED_ROLES and case.squad_id != actor.squad_id
    ):
        raise NotFound(Reason("refusal.case_not_found", case=case_id))
    return case


def _check_allowed(
    case: Case, event: Event, actor: Actor, rules: Rules, now: datetime, data: dict | None = None
) -> None:
    """State and role first, before any amount is looked at (so 409/403 win over 422)."""
    refusal = rules.workflow.refusal(case, event, actor.role, now=now, data=data)
    if refusal is not None:
        error, reason = refusal
        raise error(reason)


def _refresh_for_update(session: Session, case_id: int, actor: Actor) -> Case:
    return get_case(session, case_id=case_id, actor=actor, lock=True)


@dataclass(frozen=True)
class CaseFilter:
    state: str | None = None
    states: tuple[str, ...] = ()
    squad_id: int | None = None
    street_id: int | None = None
    merchant_id: int | None = None
    track: str | None = None
    overdue: bool | None = None
    source: str | None = None  # camera | citizen | hotline


def list_cases(
    session: Session, *, actor: Actor, filters: CaseFilter = CaseFilter(), now: datetime,
    oldest_first: bool = True, offset: int = 0, limit: int = 50,
) -> tuple[list[Case], int]:  # fmt: skip
    """Cases by filter; the review queue is ``state=pending_review``, oldest first.

    With ``overdue=True`` the most overdue come first (by deadline), which an index serves.
    """
    if filters.overdue:
        order = Case.deadline_at.asc() if oldest_first else Case.deadline_at.desc()
    else:
        order = Case.discovered_at.asc() if oldest_first else Case.discovered_at.desc()
    stmt = select(Case).options(selectinload(Case.merchant)).order_by(order, Case.id)
    f = filters
    if actor.role in SCOPED_ROLES:
        stmt = stmt.where(Case.squad_id == (actor.squad_id if actor.squad_id is not None else -1))
    if f.state:
        stmt = stmt.where(Case.state == f.state)
    if f.states:
        stmt = stmt.where(Case.state.in_(f.states))
    for column, value in (
        (Case.squad_id, f.squad_id), (Case.street_id, f.street_id),
        (Case.merchant_id, f.merchant_id), (Case.track, f.track), (Case.source, f.source),
    ):  # fmt: skip
        if value is not None:
            stmt = stmt.where(column == value)
    if f.overdue is not None:
        overdue = yellow_light(now)
        stmt = stmt.where(overdue if f.overdue else ~overdue | Case.deadline_at.is_(None))
    return page(session, stmt, offset=offset, limit=limit)


def timeline(session: Session, *, case_id: int) -> list[CaseEvent]:
    return list(
        session.scalars(select(CaseEvent).filter_by(case_id=case_id).order_by(CaseEvent.id))
    )


def prior_confirmed(
    session: Session, *, case: Case, since: datetime
) -> tuple[int, datetime | None]:
    """The merchant's other confirmed (not rejected) violations since ``since``."""
    stmt = select(func.count(Case.id), func.max(Case.confirmed_at)).where(
        Case.merchant_id == case.merchant_id,
        Case.id != case.id,
        Case.confirmed_at >= since,
        Case.state != State.REJECTED.value,
    )
    count, latest = session.execute(stmt).one()
    return int(count), latest


# --- review -------------------------------------------------------------------------------


def confirm(
    session: Session, *, case_id: int, actor: Actor, rules: Rules, now: datetime, note: str = ""
) -> Case:
    """Confirm, decide the exemption track, then notify (SMS) and dispatch (work order)."""
    case = _refresh_for_update(session, case_id, actor)
    if case.state == State.PENDING_REVIEW and case.merchant_id is None:
        raise InvalidTransition(Reason("refusal.unregistered_shop", shop=repr(case.shop_id)))
    if case.squad_id is None and case.merchant is not None:
        squad = squad_for_street(session, street_id=case.merchant.street_id)
        case.street_id = case.merchant.street_id
        case.squad_id = squad.id if squad else None
    if case.state == State.PENDING_REVIEW and case.squad_id is None:
        raise InvalidTransition(Reason("refusal.no_squad_for_merchant"))
    policy = rules.dispatch_policy(_street_code(session, case))
    # the deadline the merchant's SMS names: the grace period's end on a notify_first street
    correct_by = now + (policy.grace if policy.notify_first else rules.workflow.limits.rectify)
    since = now - timedelta(days=rules.lookback_days)
    count, latest = prior_confirmed(session, case=case, since=since)
    decision = decide_track(
        prior_confirmed=count, latest_prior=latest, lookback_days=rules.lookback_days,
        enabled=rules.exemption_enabled, correct_by=correct_by, tz=rules.tz,
        squad_hours=rules.rectify_hours if policy.notify_first else None,
    )  # fmt: skip
    transition(
        session, case=case, event=Event.CONFIRM, actor=actor, rules=rules, now=now, note=note,
        data={"track": decision.track.value, "exemption": decision.explanation},
    )  # fmt: skip
    case.exemption_note, case.reviewer_id = decision.explanation, actor.user_id
    if policy.notify_first:
        notify_first(session, case=case, actor=actor, rules=rules, now=now, grace=policy.grace)
    else:
        _dispatch(session, case=case, actor=actor, rules=rules, now=now)
    return case


def _dispatch(
    session: Session, *, case: Case, actor: Actor, rules: Rules, now: datetime, note: str = ""
) -> None:
    """Notify the merchant and dispatch the squad (both happen on confirmation)."""
    record = rules.workflow.apply(case, Event.DISPATCH, actor, now=now, note=note)
    assert case.deadline_at is not None
    order = work_orders.create(
        session,
        case=case,
        deadline=case.deadline_at,
        hours=rules.rectify_hours,
        now=now,
        actor=actor,
    )
    message = _notice(session, case=case, rules=rules, now=now)
    write_audit(
        session, case=case, record=record, work_order_id=order.id, sms_id=message.id,
        sms=message.state,
    )  # fmt: skip


def _notice(session: Session, *, case: Case, rules: Rules, now: datetime) -> SmsMessage:
    """The merchant's notice (once per case: a dispatch after ``notify`` finds it sent)."""
    template = "notice_exempt" if case.track == Track.EXEMPT else "notice_penalty"
    message = sms.enqueue(
        session, case=case, stage="notice", template=template, rules=rules, now=now,
        deadline=case.rectify_deadline_at,
    )  # fmt: skip
    session.flush()
    return message


def _street_code(session: Session, case: Case) -> str | None:
    street = session.get(Street, case.street_id) if case.street_id is not None else None
    return street.code if street is not None else None


# --- notify first (camera-verified self-correction) ---------------------------------------


def notify_first(
    session: Session, *, case: Case, actor: Actor, rules: Rules, now: datetime,
    grace: timedelta,
) -> None:  # fmt: skip
    """The SMS only; the squad goes when the grace period ends without the camera seeing the
    frontage clear (:func:`dispatch_after_grace`). Already clear: self-corrected at once."""
    record = rules.workflow.apply(
        case, Event.NOTIFY, actor, now=now, data={"grace_ends_at": now + grace}
    )
    message = _notice(session, case=case, rules=rules, now=now)
    write_audit(session, case=case, record=record, sms_id=message.id, sms=message.state)
    if case.episode_ended_at is not None:
        self_correct(session, case=case, rules=rules, now=now)


def self_correct(session: Session, *, case: Case, rules: Rules, now: datetime) -> CaseEvent:
    """The camera saw the frontage clear within the grace period: rectified, with the camera's
    after-frame (when the edge sent one) as the rectification evidence; no officer goes."""
    after = camera_after_frame(session, case=case)
    return transition(
        session, case=case, event=Event.SELF_CORRECT, actor=SYSTEM, rules=rules, now=now,
        note=text("note.self_corrected"),
        data={"after_frame": after},
    )  # fmt: skip


def camera_after_frame(session: Session, *, case: Case) -> dict[str, str] | None:
    """The after-frame the camera sent with the episode end (alert id and file name)."""
    for alert_id, refs in session.execute(
        select(AlertRecord.alert_id, AlertRecord.evidence).filter_by(case_id=case.id)
    ):
        for ref in refs:
            if ref.get("kind") == "after_frame":
                return {"alert_id": alert_id, "filename": ref["filename"]}
    return None


def camera_after_frames(session: Session, *, case: Case) -> list[tuple[EvidenceFile, AlertRecord]]:
    """The stored after-frames of the case's alerts (the camera's view of the cleared frontage),
    for the verify step beside the officer's photos."""
    stmt = (
        select(EvidenceFile, AlertRecord)
        .join(AlertRecord, AlertRecord.alert_id == EvidenceFile.alert_id)
        .where(AlertRecord.case_id == case.id, EvidenceFile.kind == "after_frame")
        .order_by(EvidenceFile.id)
    )
    return [(f, a) for f, a in session.execute(stmt)]


def dispatch_now(
    session: Session, *, case_id: int, actor: Actor, rules: Rules, now: datetime, note: str = ""
) -> Case:
    """The command centre sends the squad without waiting for the grace period to end."""
    case = _refresh_for_update(session, case_id, actor)
    _dispatch(session, case=case, actor=actor, rules=rules, now=now, note=note)
    return case


def dispatch_after_grace(
    session: Session, *, rules: Rules, now: datetime, limit: int = 500
) -> list[int]:
    """Sweep: dispatch the work order of every notified case whose grace period has ended."""
    stmt = (
        select(Case)
        .where(Case.state == State.NOTIFIED.value, Case.deadline_at <= now)
        .order_by(Case.deadline_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    out = []
    for case in session.scalars(stmt):
        _dispatch(session, case=case, actor=SYSTEM, rules=rules, now=now)
        out.append(case.id)
    return out


def reject(
    session: Session, *, case_id: int, actor: Actor, rules: Rules, now: datetime, reason: str
) -> Case:
    case = _refresh_for_update(session, case_id, actor)
    transition(
        session, case=case, event=Event.REJECT, actor=actor, rules=rules, now=now, note=reason
    )
    case.reject_reason, case.reviewer_id = reason.strip(), actor.user_id
    if is_fixed_structure(reason):  # the object becomes an ignore region of its camera
        ignore_regions.add_from_case(session, case=case, actor=actor, now=now)
    return case


# --- handling -----------------------------------------------------------------------------


def escalate_if_overdue(session: Session, *, case: Case, rules: Rules, now: datetime) -> bool:
    """A first offence not corrected by its deadline moves to the penalty path (audited)."""
    if not rules.workflow.needs_escalation(case, now=now):
        return False
    assert case.rectify_deadline_at is not None
    note = escalation_note(case.rectify_deadline_at, rules.tz)
    transition(
        session, case=case, event=Event.ESCALATE, actor=SYSTEM, rules=rules, now=now, note=note
    )
    case.exemption_note = f"{case.exemption_note or ''}; {note}".lstrip("; ")
    return True


def escalate_overdue(
    session: Session, *, rules: Rules, now: datetime, limit: int = 500
) -> list[int]:
    """Sweep: escalate every exempt case whose correction deadline has passed."""
    stmt = (
        select(Case)
        .where(Case.state == State.NOTIFIED_DISPATCHED.value, Case.track == Track.EXEMPT.value)
        .where(Case.rectify_deadline_at < now)
        .order_by(Case.rectify_deadline_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [
        c.id
        for c in session.scalars(stmt)
        if escalate_if_overdue(session, case=c, rules=rules, now=now)
    ]


def rectify(
    session: Session, *, case_id: int, actor: Actor, rules: Rules, now: datetime,
    photo_ids: list[int], note: str = "",
) -> Case:  # fmt: skip
    """The officer ordered the correction and uploaded after-correction photo(s)."""
    case = _refresh_for_update(session, case_id, actor)
    photos = list(
        session.scalars(select(EvidenceFile).where(EvidenceFile.id.in_(photo_ids or [-1])))
    )
    if len(photos) != len(set(photo_ids)) or any(p.case_id != case.id for p in photos):
        raise InvalidInput(Reason("refusal.photos_of_case"))
    escalate_if_overdue(session, case=case, rules=rules, now=now)
    transition(
        session, case=case, event=Event.RECTIFY, actor=actor, rules=rules, now=now, note=note,
        data={"photo_ids": sorted(set(photo_ids))},
    )  # fmt: skip
    work_orders.complete(session, case_id=case.id, now=now, actor=actor)
    return case


def extend(
    session: Session, *, case_id: int, actor: Actor, rules: Rules, now: datetime, reason: str
) -> Case:
    case = _refresh_for_update(session, case_id, actor)
    transition(
        session, case=case, event=Event.EXTEND, actor=actor, rules=rules, now=now, note=reason
    )
    assert case.deadline_at is not None
    work_orders.set_deadline(
        session, case_id=case.id, deadline=case.deadline_at, now=now, actor=actor
    )
    return case


def urge(
    session: Session, *, case_id: int, actor: Actor, rules: Rules, now: datetime, note: str = ""
) -> Case:
    case = _refresh_for_update(session, case_id, actor)
    transition(session, case=case, event=Event.URGE, actor=actor, rules=rules, now=now, note=note)
    return case


def rework(
    session: Session, *, case_id: int, actor: Actor, rules: Rules, now: datetime, reason: str
) -> Case:
    """Verification failed: a new work-order round and a new SMS to the merchant."""
    case = _refresh_for_update(session, case_id, actor)
    record = rules.workflow.apply(case, Event.REWORK, actor, now=now, note=reason)
    assert case.deadline_at is not None
    order = work_orders.create(
        session,
        case=case,
        deadline=case.deadline_at,
        hours=rules.rectify_hours,
        now=now,
        actor=actor,
    )
    message = sms.enqueue(
        session, case=case, stage=f"rework-{case.rework_count}", template="rework", rules=rules,
        now=now, deadline=case.deadline_at,
    )  # fmt: skip
    session.flush()
    write_audit(session, case=case, record=record, work_order_id=order.id, sms_id=message.id)
    return case


def verify(
    session: Session, *, case_id: int, actor: Actor, rules: Rules, now: datetime, note: str = ""
) -> Case:
    case = _refresh_for_update(session, case_id, actor)
    transition(session, case=case, event=Event.VERIFY, actor=actor, rules=rules, now=now, note=note)
    return case


def close(
    session: Session, *, case_id: int, actor: Actor, rules: Rules, now: datetime, note: str = ""
) -> Case:
    case = _refresh_for_update(session, case_id, actor)
    transition(session, case=case, event=Event.CLOSE, actor=actor, rules=rules, now=now, note=note)
    return case


# --- penalty path -------------------------------------------------------------------------


def get_penalty(session: Session, *, case_id: int) -> Penalty | None:
    return session.scalars(select(Penalty).filter_by(case_id=case_id)).first()


def decide_fine(
    session: Session, *, case_id: int, actor: Actor, rules: Rules, now: datetime,
    fine_cents: int | None = None, basis: str = "",
) -> Penalty:  # fmt: skip
    """Decide the fine, then notify it (SMS) with the payment due date."""
    case = _refresh_for_update(session, case_id, actor)
    _check_allowed(case, Event.DECIDE_FINE, actor, rules, now, data={"fine_cents": 1})
    fine = check_fine(
        rules.penalty.default_fine_cents if fine_cents is None else fine_cents, rules.penalty
    )
    transition(
        session, case=case, event=Event.DECIDE_FINE, actor=actor, rules=rules, now=now,
        note=basis, data={"fine_cents": fine},
    )  # fmt: skip
    penalty = Penalty(
        case_id=case.id, fine_cents=fine, decided_by=actor.user_id, decided_at=now, basis=basis
    )
    session.add(penalty)
    record = rules.workflow.apply(case, Event.NOTIFY_PAYMENT, SYSTEM, now=now)
    penalty.due_at = case.deadline_at
    message = sms.enqueue(
        session, case=case, stage="penalty", template="penalty", rules=rules, now=now,
        deadline=case.deadline_at, amount_cents=fine,
    )  # fmt: skip
    session.flush()
    write_audit(session, case=case, record=record, sms_id=message.id)
    return penalty


def amount_due(penalty: Penalty, *, rules: Rules, now: datetime) -> int:
    assert penalty.due_at is not None
    return amount_due_cents(penalty.fine_cents, penalty.due_at, now, rules.tz, rules.penalty)


def record_payment(
    session: Session, *, case_id: int, actor: Actor, rules: Rules, now: datetime,
    paid_cents: int, reference: str = "",
) -> Penalty:  # fmt: skip
    """Record an online payment; the amount must equal the fine plus any late surcharge."""
    case = _refresh_for_update(session, case_id, actor)
    _check_allowed(case, Event.RECORD_PAYMENT, actor, rules, now)
    penalty = get_penalty(session, case_id=case.id)
    if penalty is None or penalty.due_at is None:
        raise InvalidTransition(Reason("refusal.no_payment_due", case=case.id))
    surcharge = late_surcharge_cents(
        penalty.fine_cents, penalty.due_at, now, rules.tz, rules.penalty
    )
    due = penalty.fine_cents + surcharge
    if paid_cents != due:
        late = days_late(penalty.due_at, now, rules.tz)
        raise InvalidInput(
            Reason(
                "refusal.amount_due",
                due=f"{due / 100:.2f}",
                fine=f"{penalty.fine_cents / 100:.2f}",
                surcharge=f"{surcharge / 100:.2f}",
                days=late,
                paid=f"{paid_cents / 100:.2f}",
            )  # fmt: skip
        )
    transition(
        session, case=case, event=Event.RECORD_PAYMENT, actor=actor, rules=rules, now=now,
        note=reference, data={"paid_cents": paid_cents, "surcharge_cents": surcharge},
    )  # fmt: skip
    penalty.paid_at, penalty.paid_cents, penalty.surcharge_cents = now, paid_cents, surcharge
    penalty.payment_reference = reference or None
    return penalty
