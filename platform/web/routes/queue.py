"""The review queue: the page, one alert's panel, and the verdict (confirm / reject)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from streetorder.platform.db import Case
from streetorder.platform.domain.errors import DomainError, NotFound
from streetorder.platform.web import actions
from streetorder.platform.web.auth import COMMAND, Viewer, require, require_csrf
from streetorder.platform.web.context import ConsoleContext, get_context
from streetorder.platform.web.render import render
from streetorder.platform.web.views import REJECT_REASONS, panel_view, queue_items

router = APIRouter()
Ctx = Annotated[ConsoleContext, Depends(get_context)]
Reviewer = Annotated[Viewer, Depends(require(*COMMAND))]
QUEUE_PAGE = 50


class Verdict(BaseModel):
    verdict: Literal["confirm", "reject"]
    reason: str = Field("", max_length=500)


@router.get("/queue", response_class=HTMLResponse)
def queue_page(request: Request, ctx: Ctx, viewer: Reviewer, limit: int = QUEUE_PAGE):
    with ctx.db.session() as session:
        items, total = queue_items(
            session, ctx.tz, ctx.now(), actor=viewer.actor, limit=max(1, min(limit, 500))
        )
    return render(
        ctx,
        request,
        "queue.html",
        viewer,
        nav="queue",
        items=items,
        total=total,
        reasons=REJECT_REASONS,
    )


@router.get("/queue/panel/{case_id}", response_class=HTMLResponse)
def queue_panel(request: Request, ctx: Ctx, viewer: Reviewer, case_id: int):
    with ctx.db.session() as session:
        case = session.get(Case, case_id)
        if case is None:
            return HTMLResponse('<p class="error">No such case.</p>', status_code=404)
        view = panel_view(session, ctx.prefix, ctx.tz, ctx.now(), case)
    return ctx.templates.TemplateResponse(request, "_panel.html", {"c": view})


@router.post("/cases/{case_id}/review")
async def review(request: Request, ctx: Ctx, viewer: Reviewer, case_id: int) -> JSONResponse:
    """Confirm or reject a pending case; answers what happened (SMS, work order) as JSON."""
    await require_csrf(request, viewer)
    try:
        body = Verdict.model_validate_json(await request.body())
    except ValueError:
        return JSONResponse(
            {"detail": "expected {verdict: confirm|reject, reason}"}, status_code=422
        )
    try:
        if body.verdict == "confirm":
            outcome = actions.confirm(ctx, viewer.actor, case_id)
        else:
            outcome = actions.reject(ctx, viewer.actor, case_id, body.reason)
    except NotFound as exc:
        return JSONResponse({"detail": str(exc)}, status_code=404)
    except DomainError as exc:
        # The state lets the page keep an alert that is still pending (e.g. unknown merchant).
        return JSONResponse(
            {"detail": str(exc), "state": actions.current_state(ctx, case_id)},
            status_code=exc.status,
        )
    return JSONResponse(outcome)
