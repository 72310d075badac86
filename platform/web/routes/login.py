"""Log in and out: the login form (with its own CSRF token) and the session cookie."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from streetorder.i18n import text
from streetorder.platform.services import login_sessions
from streetorder.platform.web.auth import (
    CsrfFailed,
    authenticate,
    check_same_origin,
    require_csrf,
    safe_next,
    session_viewer,
)
from streetorder.platform.web.context import ConsoleContext, get_context
from streetorder.platform.web.render import render
from streetorder.platform.web.session import (
    COOKIE_NAME,
    PRELOGIN_COOKIE,
    csrf_matches,
    encode_session,
    new_prelogin_token,
    new_session,
    prelogin_token,
)

router = APIRouter()
Ctx = Annotated[ConsoleContext, Depends(get_context)]


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _login_form(
    ctx: ConsoleContext, request: Request, *, next_url: str, error: str = "", username: str = ""
) -> Response:
    token, cookie = new_prelogin_token(ctx.settings.secret_key)
    response = render(
        ctx,
        request,
        "login.html",
        None,
        status_code=401 if error else 200,
        csrf=token,
        next=next_url,
        error=error,
        username=username,
    )
    response.set_cookie(
        PRELOGIN_COOKIE,
        cookie,
        max_age=3600,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path=ctx.prefix + "/login",
    )
    return response


@router.get("/login")
def login_page(request: Request, ctx: Ctx, next: str = "") -> Response:
    if session_viewer(request, ctx) is not None:
        return RedirectResponse(safe_next(ctx, next), status_code=303)
    return _login_form(ctx, request, next_url=next)


@router.post("/login")
def login(
    request: Request,
    ctx: Ctx,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    check_same_origin(request)
    expected = prelogin_token(request.cookies.get(PRELOGIN_COOKIE), ctx.settings.secret_key)
    if expected is None or not csrf_matches(expected, csrf_token):
        return _login_form(
            ctx,
            request,
            next_url=next,
            username=username,
            error=text("login.expired"),
        )
    user = authenticate(ctx, username, password)
    if user is None:
        return _login_form(
            ctx, request, next_url=next, username=username, error=text("login.wrong")
        )
    lifetime = ctx.settings.auth.access_token_minutes * 60
    with ctx.db.session() as db:
        sid = login_sessions.start(
            db, user_id=user.id, channel="console", now=ctx.now(),
            lifetime=timedelta(seconds=lifetime),
        )  # fmt: skip
    session = new_session(user.id, user.password_hash, lifetime, sid)
    response = RedirectResponse(safe_next(ctx, next), status_code=303)
    response.set_cookie(
        COOKIE_NAME,
        encode_session(session, ctx.settings.secret_key),
        max_age=lifetime,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path=ctx.prefix or "/",
    )
    response.delete_cookie(PRELOGIN_COOKIE, path=ctx.prefix + "/login")
    return response


@router.post("/logout")
async def logout(request: Request, ctx: Ctx) -> Response:
    viewer = session_viewer(request, ctx)
    if viewer is not None:
        await require_csrf(request, viewer)
        with ctx.db.session() as db:  # a copy of the cookie kept elsewhere opens nothing now
            login_sessions.end(db, sid=viewer.session.sid, now=ctx.now(), reason="logout")
    elif request.headers.get("origin") not in (None, "null"):
        check_same_origin(request)
    response = RedirectResponse(f"{ctx.prefix}/login", status_code=303)
    response.delete_cookie(COOKIE_NAME, path=ctx.prefix or "/")
    return response


__all__ = ["router", "CsrfFailed"]
