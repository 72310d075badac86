"""The officer's actions on a dispatched work order (代办工单), each through the platform.

Acknowledge, extension and completion (rectify) are the platform's own work-order and case
workflow calls; "ordered to correct" and "merchant refused" are field records of this app,
kept in the order's timeline (``mobile_work_order_actions``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from streetorder.mobile_api.db import Photo, WorkOrderAction
from streetorder.mobile_api.photos import ProcessedPhoto
from streetorder.mobile_api.services.photos import add_rectification_photo, order_photos
from streetorder.platform.db import Case, WorkOrder
from streetorder.platform.domain.roles import Actor
from streetorder.platform.domain.work_orders import OrderEvent, OrderState
from streetorder.platform.services import cases, work_orders
from streetorder.platform.services.rules import Rules
from streetorder.platform.storage import EvidenceStore


class Action(StrEnum):
    ACKNOWLEDGED = "acknowledged"
    ORDERED_TO_CORRECT = "ordered_to_correct"  # 责令改正
    PHOTO_ADDED = "photo_added"
    EXTENSION_ASKED = "extension_asked"
    REFUSED = "refused"  # the merchant refused to correct
    COMPLETED = "completed"  # rectified: photo(s) sent, the case moves to verification
    VERIFIED = "verified"
    REWORK = "rework"


def get_order(session: Session, *, actor: Actor, work_order_id: int) -> tuple[WorkOrder, Case]:
    order = work_orders.get(session, work_order_id=work_order_id, actor=actor)
    case = cases.get_case(session, case_id=order.case_id, actor=actor)
    return order, case


def _check(order: WorkOrder, case: Case, actor: Actor, event: OrderEvent) -> None:
    """The order's lifecycle refuses (409, with the reason) what it does not allow now."""
    work_orders.check(order, event, actor, case_state=case.state)


def _log(
    session: Session,
    order: WorkOrder,
    action: Action,
    actor: Actor,
    now: datetime,
    note: str = "",
    position: tuple[float | None, float | None] = (None, None),
) -> WorkOrderAction:
    assert actor.user_id is not None
    row = WorkOrderAction(
        work_order_id=order.id,
        case_id=order.case_id,
        action=action.value,
        note=note,
        actor_id=actor.user_id,
        at=now,
        latitude=position[0],
        longitude=position[1],
    )
    session.add(row)
    order.updated_at = now
    session.flush()
    return row


def acknowledge(session: Session, *, actor: Actor, work_order_id: int, now: datetime) -> WorkOrder:
    order, case = get_order(session, actor=actor, work_order_id=work_order_id)
    work_orders.apply(session, order, OrderEvent.ACKNOWLEDGE, actor, now=now, case_state=case.state)
    _log(session, order, Action.ACKNOWLEDGED, actor, now)
    return order


def _ensure_acknowledged(
    session: Session, order: WorkOrder, case: Case, actor: Actor, now: datetime
) -> None:
    if order.state == OrderState.OPEN:
        work_orders.apply(
            session, order, OrderEvent.ACKNOWLEDGE, actor, now=now, case_state=case.state
        )
        _log(session, order, Action.ACKNOWLEDGED, actor, now)


def _field_note(
    session: Session, *, actor: Actor, work_order_id: int, action: Action,
    note: str, position: tuple[float | None, float | None], now: datetime,
) -> WorkOrder:  # fmt: skip
    """Record what the officer found or did on site (acknowledges the order if needed)."""
    order, case = get_order(session, actor=actor, work_order_id=work_order_id)
    _check(order, case, actor, OrderEvent.RECORD)
    _ensure_acknowledged(session, order, case, actor, now)
    _log(session, order, action, actor, now, note, position)
    return order


def order_to_correct(
    session: Session, *, actor: Actor, work_order_id: int, note: str,
    position: tuple[float | None, float | None], now: datetime,
) -> WorkOrder:  # fmt: skip
    """责令改正: the officer told the merchant on site to correct."""
    return _field_note(
        session, actor=actor, work_order_id=work_order_id, action=Action.ORDERED_TO_CORRECT,
        note=note, position=position, now=now,
    )  # fmt: skip


def report_refusal(
    session: Session, *, actor: Actor, work_order_id: int, note: str,
    position: tuple[float | None, float | None], now: datetime,
) -> WorkOrder:  # fmt: skip
    """The merchant refused to correct."""
    return _field_note(
        session, actor=actor, work_order_id=work_order_id, action=Action.REFUSED,
        note=note, position=position, now=now,
    )  # fmt: skip


def add_photo(
    session: Session,
    *,
    actor: Actor,
    work_order_id: int,
    photo: ProcessedPhoto,
    store: EvidenceStore,
    now: datetime,
) -> Photo:
    order, case = get_order(session, actor=actor, work_order_id=work_order_id)
    _check(order, case, actor, OrderEvent.RECORD)
    row = add_rectification_photo(
        session, store=store, photo=photo, order=order, case=case, actor=actor, now=now
    )
    _log(session, order, Action.PHOTO_ADDED, actor, now, f"photo {row.id}")
    return row


def ask_extension(
    session: Session, *, actor: Actor, work_order_id: int, reason: str, rules: Rules, now: datetime
) -> WorkOrder:
    order, case = get_order(session, actor=actor, work_order_id=work_order_id)
    _check(order, case, actor, OrderEvent.RESCHEDULE)
    cases.extend(session, case_id=case.id, actor=actor, rules=rules, now=now, reason=reason)
    _log(session, order, Action.EXTENSION_ASKED, actor, now, reason.strip())
    return order


def complete(
    session: Session, *, actor: Actor, work_order_id: int, note: str, rules: Rules, now: datetime
) -> WorkOrder:
    """Send the after-correction photos: the case moves to verification (platform RECTIFY)."""
    order, case = get_order(session, actor=actor, work_order_id=work_order_id)
    _check(order, case, actor, OrderEvent.RECORD)
    photo_ids = [p.evidence_file_id for p in order_photos(session, work_order_id=order.id)]
    _ensure_acknowledged(session, order, case, actor, now)
    cases.rectify(
        session,
        case_id=case.id,
        actor=actor,
        rules=rules,
        now=now,
        photo_ids=[i for i in photo_ids if i is not None],
        note=note,
    )
    _log(session, order, Action.COMPLETED, actor, now, note)
    return order


def verify(
    session: Session,
    *,
    actor: Actor,
    work_order_id: int,
    passed: bool,
    note: str,
    rules: Rules,
    now: datetime,
) -> Case:
    """The squad leader's re-check: verified, or back to the squad (rework) with a reason."""
    order, case = get_order(session, actor=actor, work_order_id=work_order_id)
    if passed:
        cases.verify(session, case_id=case.id, actor=actor, rules=rules, now=now, note=note)
        _log(session, order, Action.VERIFIED, actor, now, note)
    else:
        cases.rework(session, case_id=case.id, actor=actor, rules=rules, now=now, reason=note)
        _log(session, order, Action.REWORK, actor, now, note)
    return case


def timeline(session: Session, *, work_order_id: int) -> list[WorkOrderAction]:
    return list(
        session.scalars(
            select(WorkOrderAction)
            .filter_by(work_order_id=work_order_id)
            .order_by(WorkOrderAction.id)
        )
    )
