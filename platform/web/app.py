"""Mount the console on a FastAPI app: routers, static files and its error pages."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from markupsafe import escape

from streetorder.i18n import reason_text, text
from streetorder.platform.web.auth import (
    COMMAND,
    CsrfFailed,
    LoginRequired,
    NotAllowed,
    login_url,
    session_viewer,
)
from streetorder.platform.web.context import STATIC_DIR, ConsoleContext, get_context
from streetorder.platform.web.render import language_of
from streetorder.platform.web.routes import (
    cases,
    dashboard,
    evidence,
    login,
    messaging,
    models,
    preferences,
    queue,
    refused,
    zones,
)


def _wants_json(request: Request) -> bool:
    """Fetches and JSON endpoints get a status code; page loads get redirected to the login."""
    path = request.url.path
    return (
        request.method != "GET"
        or "application/json" in request.headers.get("accept", "")
        or path.endswith((".json", "/push"))
        or "/panel/" in path
        or "/evidence/" in path
        or "/files/" in path
    )


def _index_router() -> APIRouter:
    router = APIRouter()

    @router.get("/", include_in_schema=False)
    def index(request: Request) -> Response:
        ctx = get_context(request)
        viewer = session_viewer(request, ctx)
        if viewer is None:
            return RedirectResponse(f"{ctx.prefix}/login", status_code=303)
        page = "queue" if viewer.role in COMMAND else "dashboard"
        return RedirectResponse(f"{ctx.prefix}/{page}", status_code=303)

    return router


def mount_console(app: FastAPI, *, prefix: str = "/console") -> ConsoleContext:
    """Add the console under ``prefix`` to an app made by ``platform.api.create_app``."""
    ctx = ConsoleContext(platform=app.state.platform, prefix=prefix)
    app.state.console = ctx
    for module in (
        login, preferences, queue, cases, messaging, dashboard, zones, models, refused, evidence,
    ):  # fmt: skip
        app.include_router(module.router, prefix=prefix, include_in_schema=False)
    app.include_router(_index_router(), prefix=prefix)
    app.mount(f"{prefix}/static", StaticFiles(directory=STATIC_DIR), name="console-static")

    @app.exception_handler(LoginRequired)
    def _login(request: Request, exc: LoginRequired) -> Response:
        if _wants_json(request):
            language = language_of(session_viewer(request, ctx))
            return JSONResponse({"detail": text("session.login_first", language)}, 401)
        return RedirectResponse(login_url(ctx, exc.next_url), status_code=303)

    @app.exception_handler(NotAllowed)
    def _forbidden(request: Request, exc: NotAllowed) -> Response:
        language = language_of(session_viewer(request, ctx))
        if _wants_json(request):
            return JSONResponse({"detail": reason_text(exc.reason, language)}, status_code=403)
        title, what = text("error.not_allowed", language), text("error.not_for_role", language)
        back = text("error.back", language)
        why = escape(reason_text(exc.reason, language))
        return HTMLResponse(
            f'<!doctype html><html lang="{language}"><meta charset="utf-8"><h1>{title}</h1>'
            f'<p>{what}</p><p><small>{why}</small></p><p><a href="{ctx.prefix}/">'
            f"{back}</a></p></html>",
            status_code=403,
        )

    @app.exception_handler(CsrfFailed)
    def _csrf(request: Request, exc: CsrfFailed) -> Response:
        language = language_of(session_viewer(request, ctx))
        return JSONResponse({"detail": reason_text(exc, language)}, status_code=403)

    return ctx
