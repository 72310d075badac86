"""Work orders dispatched to the squad of the case's street."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from streetorder.platform.db import Case, WorkOrder
from streetorder.platform.domain.errors import InvalidTransition, NotFound
from streetorder.platform.domain.roles import Actor, Role

INSTRUCTIONS = "请您{hours}小时内责令商户改正违法行为,并上传改正后照片。({shop},{place})"
OPEN_STATES = ("open", "acknowledged")


def create(
    session: Session, *, case: Case, deadline: datetime, hours: float, now: datetime
) -> WorkOrder:
    """A new round for the case (1, or the next after a rework); earlier rounds are closed."""
    if case.squad_id is None:
        raise InvalidTransition("no squad covers the case's street; register one first")
    last = session.scalar(select(func.max(WorkOrder.round)).filter_by(case_id=case.id)) or 0
    for previous in session.scalars(
        select(WorkOrder).filter_by(case_id=case.id).where(WorkOrder.state.in_(OPEN_STATES))
    ):
        previous.state, previous.updated_at = "cancelled", now
    merchant = case.merchant
    order = WorkOrder(
        case_id=case.id, round=last + 1, squad_id=case.squad_id, deadline_at=deadline,
        instructions=INSTRUCTIONS.format(
            hours=f"{hours:g}", shop=merchant.name if merchant else case.shop_id,
            place=case.place or (merchant.address if merchant else ""),
        ),
        created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(order)
    session.flush()
    return order


def current(session: Session, *, case_id: int) -> WorkOrder | None:
    return session.scalars(
        select(WorkOrder).filter_by(case_id=case_id).order_by(WorkOrder.round.desc())
    ).first()


def set_deadline(session: Session, *, case_id: int, deadline: datetime, now: datetime) -> None:
    order = current(session, case_id=case_id)
    if order is not None and order.state in OPEN_STATES:
        order.deadline_at, order.updated_at = deadline, now


def complete(session: Session, *, case_id: int, now: datetime) -> None:
    order = current(session, case_id=case_id)
    if order is not None and order.state in OPEN_STATES:
        order.state, order.completed_at, order.updated_at = "done", now, now


def acknowledge(session: Session, *, work_order_id: int, actor: Actor, now: datetime) -> WorkOrder:
    order = get(session, work_order_id=work_order_id, actor=actor)
    if order.state != "open":
        raise InvalidTransition(f"cannot acknowledge a work order that is {order.state}")
    order.state, order.acknowledged_at, order.updated_at = "acknowledged", now, now
    if actor.role == Role.OFFICER and actor.user_id:
        order.assignee_id = actor.user_id
    return order


def get(session: Session, *, work_order_id: int, actor: Actor) -> WorkOrder:
    order = session.get(WorkOrder, work_order_id)
    in_scope = actor.role not in (Role.OFFICER, Role.SQUAD_LEADER) or (
        order is not None and order.squad_id == actor.squad_id
    )
    if order is None or not in_scope:  # another squad's order does not exist for you
        raise NotFound(f"work order {work_order_id} not found")
    return order


def list_orders(
    session: Session, *, actor: Actor, state: str | None = None, squad_id: int | None = None,
    offset: int = 0, limit: int = 100,
) -> tuple[list[WorkOrder], int]:  # fmt: skip
    from streetorder.platform.services.registry import _page

    stmt = select(WorkOrder).order_by(WorkOrder.deadline_at)
    if actor.role in (Role.OFFICER, Role.SQUAD_LEADER):
        squad_id = actor.squad_id if actor.squad_id is not None else -1
    if squad_id is not None:
        stmt = stmt.filter_by(squad_id=squad_id)
    if state:
        stmt = stmt.filter_by(state=state)
    return _page(session, stmt, offset=offset, limit=limit)
