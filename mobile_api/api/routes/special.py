"""Special inspections (专项检查) set by a squad leader."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from streetorder.mobile_api.api import schemas as s
from streetorder.mobile_api.api.deps import Ctx, CurrentActor, IdempotencyKey, Leader
from streetorder.mobile_api.api.writes import user_scope, write
from streetorder.mobile_api.db import InspectionTask, SpecialInspection
from streetorder.mobile_api.services import inspections

router = APIRouter(prefix="/special-inspections", tags=["special inspections"])


def _out(special: SpecialInspection, tasks: list[InspectionTask]) -> s.SpecialOut:
    out = s.SpecialOut.model_validate(special)
    return out.model_copy(
        update={"task_ids": [t.id for t in tasks], "done": sum(t.status == "done" for t in tasks)}
    )


@router.post(
    "",
    response_model=s.SpecialOut,
    status_code=201,
    summary="Create one for listed shops and/or an area (address text); squad leaders only",
)
def create(
    body: s.SpecialIn, actor: Leader, ctx: Ctx, request: Request,
    key: IdempotencyKey = None,
) -> Response:  # fmt: skip
    def action(session):
        special, tasks = inspections.create_special(
            session, actor=actor, title=body.title, description=body.description,
            due_at=body.due_at, merchant_ids=body.merchant_ids, area=body.area, now=ctx.now(),
        )  # fmt: skip
        return _out(special, tasks)

    return write(
        ctx, request, scope=user_scope(actor.user_id), key=key, body=body, action=action,
        status_code=201,
    )  # fmt: skip


@router.get("", response_model=list[s.SpecialOut], summary="My squad's special inspections")
def list_special(actor: CurrentActor, ctx: Ctx) -> list[s.SpecialOut]:
    with ctx.db.session() as session:
        listed = inspections.specials_of_squad(session, squad_id=actor.squad_id)
        return [_out(special, tasks) for special, tasks in listed]
