"""The SMS outbox and work orders."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query
from pydantic import Field

from streetorder.platform.api.background import deliver_sms
from streetorder.platform.api.deps import (
    AdminUser,
    NowDep,
    SessionDep,
    SquadStaff,
    SquadUser,
    StateDep,
)
from streetorder.platform.api.scope import squad_limit
from streetorder.platform.schemas.cases import SmsPublic, WorkOrderPublic
from streetorder.platform.schemas.common import Id, In, Offset, Page
from streetorder.platform.services import sms, work_orders

log = logging.getLogger(__name__)
sms_router = APIRouter(prefix="/sms", tags=["sms"])
orders_router = APIRouter(prefix="/work-orders", tags=["work orders"])
Limit = Annotated[int, Query(ge=1, le=500)]


class DeliveryReport(In):
    delivered: bool
    error: str = Field("", max_length=500)


@sms_router.get("", response_model=Page[SmsPublic], summary="The SMS outbox (all messages)")
def list_sms(
    session: SessionDep, actor: SquadStaff, case_id: Id | None = None, state: str | None = None,
    offset: Offset = 0, limit: Limit = 100,
) -> Page[SmsPublic]:  # fmt: skip
    rows, count = sms.list_messages(
        session, case_id=case_id, state=state, offset=offset, limit=limit,
        squad_id=squad_limit(actor),
    )  # fmt: skip
    return Page(data=[SmsPublic.model_validate(m) for m in rows], count=count)


@sms_router.post(
    "/deliver", status_code=202, summary="Send due messages now (after this request ends)"
)
def deliver(actor: AdminUser, state: StateDep, tasks: BackgroundTasks) -> dict[str, bool]:
    tasks.add_task(deliver_sms, state)
    return {"scheduled": True}


@sms_router.post("/{message_id}/delivery", response_model=SmsPublic, summary="Delivery report")
def delivery_report(
    message_id: Id, body: DeliveryReport, session: SessionDep, actor: AdminUser, now: NowDep
) -> SmsPublic:
    message = sms.record_delivery(
        session, message_id=message_id, delivered=body.delivered, now=now, error=body.error,
        actor=actor,
    )  # fmt: skip
    return SmsPublic.model_validate(message)


@orders_router.get("", response_model=Page[WorkOrderPublic], summary="Work orders (own squad)")
def list_orders(
    session: SessionDep, actor: SquadUser, state: str | None = None, squad_id: Id | None = None,
    offset: Offset = 0, limit: Limit = 100,
) -> Page[WorkOrderPublic]:  # fmt: skip
    rows, count = work_orders.list_orders(
        session, actor=actor, state=state, squad_id=squad_id, offset=offset, limit=limit
    )
    return Page(data=[WorkOrderPublic.model_validate(o) for o in rows], count=count)


@orders_router.get("/{work_order_id}", response_model=WorkOrderPublic)
def get_order(work_order_id: Id, session: SessionDep, actor: SquadUser) -> WorkOrderPublic:
    return WorkOrderPublic.model_validate(
        work_orders.get(session, work_order_id=work_order_id, actor=actor)
    )


@orders_router.post("/{work_order_id}/acknowledge", response_model=WorkOrderPublic)
def acknowledge(
    work_order_id: Id, session: SessionDep, actor: SquadUser, now: NowDep
) -> WorkOrderPublic:
    order = work_orders.acknowledge(session, work_order_id=work_order_id, actor=actor, now=now)
    return WorkOrderPublic.model_validate(order)
