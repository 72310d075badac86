"""Inspections with the configurable checklist, and a shop's risk colour and its history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from streetorder.mobile_api.api import schemas as s
from streetorder.mobile_api.api.deps import Ctx, CurrentActor, IdempotencyKey
from streetorder.mobile_api.api.present import merchant_brief
from streetorder.mobile_api.api.writes import user_scope, write
from streetorder.mobile_api.db import Inspection, RiskState
from streetorder.mobile_api.domain.risk import Colour
from streetorder.mobile_api.domain.schedule import next_due
from streetorder.mobile_api.services import inspections, risk
from streetorder.mobile_api.services.scope import merchant_in_squad

router = APIRouter(tags=["inspections"])


@router.get("/checklist", response_model=list[s.ChecklistItemOut], summary="Checklist items")
def checklist(_actor: CurrentActor, ctx: Ctx) -> list[s.ChecklistItemOut]:
    return [s.ChecklistItemOut(**item.model_dump()) for item in ctx.mobile.checklist]


def _out(inspection: Inspection, photo_ids: list[int], **extra) -> s.InspectionOut:
    out = s.InspectionOut.model_validate(inspection)
    return out.model_copy(update={"photo_ids": photo_ids, **extra})


@router.post(
    "/inspections",
    response_model=s.InspectionOut,
    status_code=201,
    summary="Record an inspection (the result follows from the checklist; moves the colour)",
)
def record(
    body: s.InspectionIn, actor: CurrentActor, ctx: Ctx, request: Request,
    key: IdempotencyKey = None,
) -> Response:  # fmt: skip
    def action(session):
        done = inspections.record_inspection(
            session, actor=actor, merchant_id=body.merchant_id, task_id=body.task_id,
            answers=body.answers, notes=body.notes, photo_ids=body.photo_ids,
            checklist=ctx.mobile.checklist, colours=ctx.mobile.colours, now=ctx.now(),
        )  # fmt: skip
        change = done.change
        return _out(
            done.inspection,
            list(body.photo_ids),
            colour_change=s.ColourChangeOut(
                before=change.before, after=change.after, cause=change.cause.value
            )
            if change
            else None,
            closed_task_ids=done.closed_task_ids,
        )

    return write(
        ctx, request, scope=user_scope(actor.user_id), key=key, body=body, action=action,
        status_code=201,
    )  # fmt: skip


@router.get("/inspections", response_model=s.InspectionPage, summary="Inspections of a shop")
def list_inspections(
    actor: CurrentActor,
    ctx: Ctx,
    merchant_id: Annotated[int, Query(ge=1, le=s.MAX_ID)],
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> s.InspectionPage:
    with ctx.db.session() as session:
        merchant_in_squad(session, actor, merchant_id)
        rows, count, photos = inspections.list_for_merchant(
            session, merchant_id=merchant_id, offset=offset, limit=limit
        )
        return s.InspectionPage(data=[_out(r, photos.get(r.id, [])) for r in rows], count=count)


@router.get(
    "/merchants/{merchant_id}/risk",
    response_model=s.RiskOut,
    summary="A shop's colour, clean run, next inspection and colour changes with causes",
)
def merchant_risk(
    merchant_id: Annotated[int, Path(ge=1, le=s.MAX_ID)], actor: CurrentActor, ctx: Ctx
) -> s.RiskOut:
    with ctx.db.session() as session:
        merchant = merchant_in_squad(session, actor, merchant_id)
        state = session.get(RiskState, merchant.id) or RiskState(clean_run=0)
        try:
            colour = Colour(merchant.risk_colour)
        except ValueError:
            colour = Colour.GREEN
        now = ctx.now()
        brief = merchant_brief(merchant)
        assert brief is not None
        return s.RiskOut(
            merchant=brief,
            clean_run=state.clean_run or 0,
            last_inspected_at=state.last_inspected_at,
            next_due_at=next_due(colour, state.last_inspected_at, now, ctx.mobile.schedule),
            changes=[
                s.RiskEventOut.model_validate(e)
                for e in risk.history(session, merchant_id=merchant.id)
            ],
        )
