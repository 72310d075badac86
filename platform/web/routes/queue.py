"""The review queue: the page, one alert's panel, and the verdict (confirm / reject)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from streetorder.i18n import reason_text, translator
from streetorder.platform.db import Case
from streetorder.platform.domain.errors import DomainError, NotFound
from streetorder.platform.web import actions
from streetorder.platform.web.auth import COMMAND, Viewer, require, require_csrf
from streetorder.platform.web.context import ConsoleContext, get_context
from streetorder.platform.web.render import language_of, render, render_fragment
from streetorder.platform.web.views import panel_view, queue_items, reject_reasons

router = APIRouter()
Ctx = Annotated[ConsoleContext, Depends(get_context)]
Reviewer = Annotated[Viewer, Depends(require(*COMMAND))]
QUEUE_PAGE = 50
SOURCES = ("camera", "citizen", "hotline")


class Verdict(BaseModel):
    verdict: Literal["confirm", "reject"]
    reason: str = Field("", max_length=500)


@router.get("/queue", response_class=HTMLResponse)
def queue_page(
    request: Request, ctx: Ctx, viewer: Reviewer, limit: int = QUEUE_PAGE, source: str = ""
):
    t = translator(language_of(viewer))
    source = source if source in SOURCES else ""  # camera, citizen (app), hotline (12345)
    with ctx.db.session() as session:
        items, total = queue_items(
            session, ctx.tz, ctx.now(), t, actor=viewer.actor, limit=max(1, min(limit, 500)),
            source=source or None,
        )  # fmt: skip
    return render(
        ctx,
        request,
        "queue.html",
        viewer,
        nav="queue",
        items=items,
        total=total,
        reasons=reject_reasons(t),
        source=source,
        sources=SOURCES,
    )


@router.get("/queue/panel/{case_id}", response_class=HTMLResponse)
def queue_panel(request: Request, ctx: Ctx, viewer: Reviewer, case_id: int):
    t = translator(language_of(viewer))
    with ctx.db.session() as session:
        case = session.get(Case, case_id)
        if case is None:
            return HTMLResponse(f'<p class="error">{t("error.no_case")}</p>', status_code=404)
        view = panel_view(session, ctx.prefix, ctx.tz, ctx.now(), case, t)
    return render_fragment(ctx, request, "_panel.html", viewer, c=view)


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
        t = translator(language_of(viewer))
        if body.verdict == "confirm":
            outcome = actions.confirm(ctx, viewer.actor, case_id, t)
        else:
            outcome = actions.reject(ctx, viewer.actor, case_id, body.reason, t)
    except NotFound as exc:
        return JSONResponse({"detail": reason_text(exc, t.language)}, status_code=404)
    except DomainError as exc:
        # The state lets the page keep an alert that is still pending (e.g. unknown merchant).
        action = "queue.confirm_title" if body.verdict == "confirm" else "queue.reject_title"
        detail = actions.refusal_text(ctx, case_id, exc, action, t)
        return JSONResponse(
            {"detail": detail, "state": actions.current_state(ctx, case_id)},
            status_code=exc.status,
        )
    return JSONResponse(outcome)
