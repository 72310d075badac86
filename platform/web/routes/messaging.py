"""The SMS outbox and the work orders, as lists (newest SMS first, nearest deadline first)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from streetorder.i18n import translator
from streetorder.platform.domain.roles import Role, squad_limit
from streetorder.platform.services import case_reads, registry
from streetorder.platform.services import sms as sms_service
from streetorder.platform.services import work_orders as order_service
from streetorder.platform.web.auth import EVERYONE, Viewer, require
from streetorder.platform.web.context import ConsoleContext, get_context
from streetorder.platform.web.render import language_of, render
from streetorder.platform.web.views import Names, label, local, mask_mobile, sms_error

router = APIRouter()
Ctx = Annotated[ConsoleContext, Depends(get_context)]
Staff = Annotated[Viewer, Depends(require(Role.REVIEWER, Role.SQUAD_LEADER, Role.ADMIN))]
Anyone = Annotated[Viewer, Depends(require(*EVERYONE))]
Limit = Annotated[int, Query(ge=1, le=1000)]


@router.get("/sms", response_class=HTMLResponse)
def sms_outbox(request: Request, ctx: Ctx, viewer: Staff, state: str = "", limit: Limit = 200):
    state = state if state in sms_service.STATES else ""
    t = translator(language_of(viewer))
    with ctx.db.session() as session:
        messages, total = sms_service.list_messages(
            session, state=state or None, limit=limit, squad_id=squad_limit(viewer.actor)
        )
        numbers = case_reads.numbers(session, case_ids={m.case_id for m in messages})
        rows = [
            {
                "case_url": f"{ctx.prefix}/cases/{m.case_id}",
                "case": numbers.get(m.case_id, m.case_id),
                "stage": label(t, "sms_stage", m.stage.split("-")[0]),
                "to": f"{m.recipient} {mask_mobile(m.mobile)}",
                "state": m.state,
                "state_label": label(t, "sms_state", m.state),
                "attempts": m.attempts,
                "created": local(m.created_at, ctx.tz),
                "sent": local(m.sent_at, ctx.tz),
                "delivered": local(m.delivered_at, ctx.tz),
                "body": m.body,
                "error": sms_error(t, m.last_error),
                "error_detail": m.last_error or "",
            }
            for m in messages
        ]
    return render(
        ctx, request, "sms.html", viewer, nav="sms", rows=rows, total=total,
        states=sms_service.STATES, state=state,
    )  # fmt: skip


@router.get("/work-orders", response_class=HTMLResponse)
def work_orders(request: Request, ctx: Ctx, viewer: Anyone, state: str = "", limit: Limit = 200):
    now = ctx.now()
    t = translator(language_of(viewer))
    with ctx.db.session() as session:
        orders, total = order_service.list_orders(
            session, actor=viewer.actor, state=state or None, limit=limit
        )
        numbers = case_reads.numbers(session, case_ids={o.case_id for o in orders})
        squads = {s.id: s.name for s in registry.list_squads(session)}
        names = Names.load(session, user_ids=[o.assignee_id for o in orders])
        unassigned = {"name": t("case.order_unassigned"), "login": ""}
        rows = [
            {
                "case_url": f"{ctx.prefix}/cases/{o.case_id}",
                "case": numbers.get(o.case_id, o.case_id),
                "round": o.round,
                "squad": squads.get(o.squad_id, ""),
                "officer": names.of(o.assignee_id) if o.assignee_id else unassigned,
                "state": o.state,
                "state_label": label(t, "order_state", o.state),
                "deadline": local(o.deadline_at, ctx.tz),
                "overdue": o.state in order_service.OPEN_STATES and now > o.deadline_at,
                "instructions": o.instructions,
            }
            for o in orders
        ]
    return render(
        ctx, request, "work_orders.html", viewer, nav="orders", rows=rows, total=total,
        state=state,
    )  # fmt: skip
