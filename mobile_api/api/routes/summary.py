"""The squad leader's summary."""

from __future__ import annotations

from fastapi import APIRouter

from streetorder.mobile_api.api import schemas as s
from streetorder.mobile_api.api.deps import Ctx, Leader
from streetorder.mobile_api.services.summary import squad_summary

router = APIRouter(prefix="/squad", tags=["squad"])


@router.get(
    "/summary",
    response_model=s.SummaryOut,
    summary="Shops by colour, inspections due and overdue (squad leaders)",
)
def summary(actor: Leader, ctx: Ctx) -> s.SummaryOut:
    with ctx.db.session() as session:
        out = squad_summary(session, actor=actor, now=ctx.now())
        return s.SummaryOut(
            squad=s.SquadOut.model_validate(out.squad),
            at=out.at,
            shops_by_colour=out.shops_by_colour,
            inspections=s.DueCounts(**vars(out.inspections)),
            special=s.DueCounts(**vars(out.special)),
            work_orders=s.DueCounts(**vars(out.work_orders)),
            due_next_24h=out.due_next_24h,
            inspected_last_7_days=out.inspected_last_7_days,
            overdue_shop_ids=out.overdue_shops,
        )
