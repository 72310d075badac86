"""Case list and case page (timeline, SMS, work orders, deadlines), and its buttons."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from streetorder.i18n import translator
from streetorder.platform.domain.errors import DomainError, NotFound
from streetorder.platform.domain.workflow import Event, State
from streetorder.platform.services import cases as case_service
from streetorder.platform.web import actions
from streetorder.platform.web.auth import EVERYONE, Viewer, require, require_csrf
from streetorder.platform.web.context import ConsoleContext, get_context
from streetorder.platform.web.render import language_of, render
from streetorder.platform.web.views import CASE_PAGE_EVENTS, case_rows, case_view

router = APIRouter()
Ctx = Annotated[ConsoleContext, Depends(get_context)]
Anyone = Annotated[Viewer, Depends(require(*EVERYONE))]
STATES = [s.value for s in State]


@router.get("/cases", response_class=HTMLResponse)
def case_list(request: Request, ctx: Ctx, viewer: Anyone, state: str = "", yellow: bool = False):
    state = state if state in {s.value for s in State} else ""
    t = translator(language_of(viewer))
    with ctx.db.session() as session:
        rows, total = case_rows(
            session, ctx.prefix, ctx.tz, ctx.now(), t, actor=viewer.actor, state=state or None,
            yellow=yellow,
        )  # fmt: skip
    return render(
        ctx,
        request,
        "cases.html",
        viewer,
        nav="cases",
        rows=rows,
        total=total,
        states=STATES,
        state=state,
        yellow=yellow,
    )


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, ctx: Ctx, viewer: Anyone, case_id: int):
    with ctx.db.session() as session:
        try:  # officers and squad leaders see only their squad's cases
            case = case_service.get_case(session, case_id=case_id, actor=viewer.actor)
        except NotFound:
            case = None
        if case is None:
            return render(
                ctx, request, "cases.html", viewer, status_code=404, nav="cases", rows=[],
                total=0, states=STATES, state="", yellow=False,
            )  # fmt: skip
        view = case_view(
            session,
            ctx.prefix,
            ctx.tz,
            ctx.now(),
            case,
            translator(language_of(viewer)),
            role=viewer.role,
            workflow=actions.workflow(ctx),
        )
    return render(ctx, request, "case.html", viewer, nav="cases", c=view)


@router.post("/cases/{case_id}/events/{event}")
async def case_event(request: Request, ctx: Ctx, viewer: Anyone, case_id: int, event: str):
    """A button on the case page (urge, verify, rework, close): a form post, then back."""
    await require_csrf(request, viewer)
    page = f"{ctx.prefix}/cases/{case_id}"
    try:
        chosen = Event(event)
    except ValueError:
        chosen = None
    if chosen not in CASE_PAGE_EVENTS:
        return Response(f"unknown action {event!r}", status_code=404)
    form = await request.form()
    note = str(form.get("note") or "")
    try:
        actions.apply_event(ctx, viewer.actor, case_id, chosen, note)
    except DomainError as exc:
        t = translator(language_of(viewer))
        reason = actions.refusal_text(ctx, case_id, exc, f"action.{chosen.value}", t)
        return RedirectResponse(f"{page}?error={quote(reason)}", status_code=303)
    return RedirectResponse(f"{page}?done={chosen.value}", status_code=303)
