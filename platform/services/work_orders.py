"""Work orders dispatched to the squad of the case's street; every change through the lifecycle
(``domain/work_orders.py``) with its audit row in ``lifecycle_events``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from streetorder.i18n import CATALOGUE, Reason, text
from streetorder.platform.db import Case, WorkOrder
from streetorder.platform.domain.errors import InvalidTransition, NotFound
from streetorder.platform.domain.roles import SYSTEM, Actor, Role
from streetorder.platform.domain.work_orders import LIFECYCLE, OPEN_STATES, OrderEvent, OrderState
from streetorder.platform.services import lifecycle_audit

#: The officer app shows the instructions in Chinese (``officer.instructions`` in the catalogue).
INSTRUCTIONS = CATALOGUE.messages["officer.instructions"].zh


def apply(
    session: Session, order: WorkOrder, event: OrderEvent, actor: Actor, *, now: datetime,
    case_state: str | None = None, note: str = "", data: dict | None = None,
) -> None:  # fmt: skip
    """One lifecycle event (refused with the reason), its timestamps and its audit row."""
    facts = {"case_state": case_state} if case_state is not None else {}
    record = LIFECYCLE.apply(order, event, actor, now=now, note=note, data=data, facts=facts)
    order.updated_at = now
    if event is OrderEvent.ACKNOWLEDGE:
        order.acknowledged_at = now
        if actor.role == Role.OFFICER and actor.user_id:
            order.assignee_id = actor.user_id
    elif event is OrderEvent.COMPLETE:
        order.completed_at = now
    lifecycle_audit.write(session, record, subject_id=order.id, case_id=order.case_id)


def check(order: WorkOrder, event: OrderEvent, actor: Actor, *, case_state: str) -> None:
    """Raise the lifecycle's refusal of ``event`` now, if any (for field records)."""
    refusal = LIFECYCLE.refusal(order.state, event, actor.role, order, {"case_state": case_state})
    if refusal is not None:
        error, reason = refusal
        raise error(reason)


def create(
    session: Session, *, case: Case, deadline: datetime, hours: float, now: datetime,
    actor: Actor = SYSTEM,
) -> WorkOrder:  # fmt: skip
    """A new round for the case (1, or the next after a rework); earlier rounds are cancelled."""
    if case.squad_id is None:
        raise InvalidTransition(Reason("refusal.no_squad_for_case"))
    last = session.scalar(select(func.max(WorkOrder.round)).filter_by(case_id=case.id)) or 0
    for previous in session.scalars(
        select(WorkOrder).filter_by(case_id=case.id).where(WorkOrder.state.in_(OPEN_STATES))
    ):
        apply(session, previous, OrderEvent.CANCEL, SYSTEM, now=now,
              note=text("note.order_replaced", round=last + 1))  # fmt: skip
    merchant = case.merchant
    order = WorkOrder(
        case_id=case.id, round=last + 1, squad_id=case.squad_id, deadline_at=deadline,
        instructions=INSTRUCTIONS.format(
            hours=f"{hours:g}", shop=merchant.name if merchant else case.shop_id,
            place=case.place or (merchant.address if merchant else ""),
        ),
        created_at=now, updated_at=now,
    )  # fmt: skip
    record = LIFECYCLE.start(
        order, OrderState.OPEN, actor, now=now,
        data={"round": order.round, "deadline_at": deadline.isoformat()},
    )  # fmt: skip
    session.add(order)
    session.flush()
    lifecycle_audit.write(session, record, subject_id=order.id, case_id=case.id)
    return order


def current(session: Session, *, case_id: int) -> WorkOrder | None:
    return session.scalars(
        select(WorkOrder).filter_by(case_id=case_id).order_by(WorkOrder.round.desc())
    ).first()


def set_deadline(
    session: Session, *, case_id: int, deadline: datetime, now: datetime, actor: Actor = SYSTEM
) -> None:
    """The case's correction deadline moved (an extension): the open order follows."""
    order = current(session, case_id=case_id)
    if order is not None and order.state in OPEN_STATES:
        apply(session, order, OrderEvent.RESCHEDULE, actor, now=now,
              data={"deadline_at": deadline.isoformat()})  # fmt: skip
        order.deadline_at = deadline


def complete(session: Session, *, case_id: int, now: datetime, actor: Actor = SYSTEM) -> None:
    """The case was rectified by ``actor``: its open order is done (acknowledged by the same
    actor first if nobody had)."""
    order = current(session, case_id=case_id)
    if order is None or order.state not in OPEN_STATES:
        return
    if order.state == OrderState.OPEN:
        apply(
            session,
            order,
            OrderEvent.ACKNOWLEDGE,
            actor,
            now=now,
            note=text("note.taken_with_correction"),
        )
    apply(session, order, OrderEvent.COMPLETE, actor, now=now)


def acknowledge(session: Session, *, work_order_id: int, actor: Actor, now: datetime) -> WorkOrder:
    order = get(session, work_order_id=work_order_id, actor=actor)
    apply(session, order, OrderEvent.ACKNOWLEDGE, actor, now=now, case_state=order.case.state)
    return order


def get(session: Session, *, work_order_id: int, actor: Actor) -> WorkOrder:
    order = session.get(WorkOrder, work_order_id)
    in_scope = actor.role not in (Role.OFFICER, Role.SQUAD_LEADER) or (
        order is not None and order.squad_id == actor.squad_id
    )
    if order is None or not in_scope:  # another squad's order does not exist for you
        raise NotFound(Reason("refusal.order_not_found", order=work_order_id))
    return order


def list_orders(
    session: Session, *, actor: Actor, state: str | None = None, squad_id: int | None = None,
    offset: int = 0, limit: int = 100,
) -> tuple[list[WorkOrder], int]:  # fmt: skip
    from streetorder.platform.services.paging import page

    stmt = select(WorkOrder).order_by(WorkOrder.deadline_at)
    if actor.role in (Role.OFFICER, Role.SQUAD_LEADER):
        squad_id = actor.squad_id if actor.squad_id is not None else -1
    if squad_id is not None:
        stmt = stmt.filter_by(squad_id=squad_id)
    if state:
        stmt = stmt.filter_by(state=state)
    return page(session, stmt, offset=offset, limit=limit)
