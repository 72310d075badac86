"""Who is asking: the browser session as FastAPI dependencies, roles and CSRF checks."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request

from streetorder.i18n import Reason
from streetorder.i18n.reasons import term, terms
from streetorder.platform.api.scope import Rule
from streetorder.platform.db import User
from streetorder.platform.domain.roles import HUMAN_ROLES, Actor, Role
from streetorder.platform.security import verify_password
from streetorder.platform.services import accounts, login_sessions
from streetorder.platform.web.context import ConsoleContext, get_context
from streetorder.platform.web.session import (
    COOKIE_NAME,
    CSRF_FIELD,
    CSRF_HEADER,
    WebSession,
    csrf_matches,
    decode_session,
    password_fingerprint,
)

COMMAND = (Role.REVIEWER, Role.ADMIN)
EVERYONE = HUMAN_ROLES
ADMIN = (Role.ADMIN,)


class LoginRequired(Exception):
    """No valid session: pages redirect to the login form, fetches get 401."""

    def __init__(self, next_url: str) -> None:
        super().__init__("login required")
        self.next_url = next_url


class NotAllowed(Exception):
    """Logged in, but the role may not see this (HTTP 403)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class CsrfFailed(Exception):
    """A state-changing request without the session's CSRF token (HTTP 403)."""


class Viewer:
    """The logged-in user of this request, with the session that carries the CSRF token."""

    def __init__(self, user: User, session: WebSession) -> None:
        self.user = user
        self.session = session

    @property
    def role(self) -> Role:
        return Role(self.user.role)

    @property
    def csrf(self) -> str:
        return self.session.csrf

    @property
    def actor(self) -> Actor:
        return Actor(
            role=self.role,
            name=self.user.username,  # records keep the user name; pages show views.Names
            user_id=self.user.id,
            squad_id=self.user.squad_id,
        )


def authenticate(ctx: ConsoleContext, username: str, password: str) -> User | None:
    """The active human user with this name and password, else ``None`` (same cost either way)."""
    with ctx.db.session() as session:
        user = accounts.user_by_username(session, username=username.strip())
        ok = verify_password(password, user.password_hash if user else _DUMMY_HASH)
        if user is None or not ok or not user.active or Role(user.role) not in HUMAN_ROLES:
            return None
        session.expunge(user)
        return user


# A valid bcrypt hash of a random password, so unknown users cost as much as wrong passwords.
_DUMMY_HASH = "$2b$12$uyKTudy.1pmV8Ea9Vas4LOnf1hYwRkPZBNtvyMXgpktfbQ5Ao0yxS"


def session_viewer(request: Request, ctx: ConsoleContext) -> Viewer | None:
    session = decode_session(request.cookies.get(COOKIE_NAME), ctx.settings.secret_key)
    if session is None:
        return None
    with ctx.db.session() as db:
        user = db.get(User, session.user_id)
        if user is None or not user.active or Role(user.role) not in HUMAN_ROLES:
            return None
        if password_fingerprint(user.password_hash) != session.fingerprint:
            return None  # the password changed since this session began
        if not login_sessions.is_open(db, sid=session.sid, user_id=user.id):
            return None  # logged out: the cookie is dead even if a copy was kept
        db.expunge(user)
    return Viewer(user, session)


def _viewer(request: Request, ctx: Annotated[ConsoleContext, Depends(get_context)]) -> Viewer:
    viewer = session_viewer(request, ctx)
    if viewer is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return viewer


def require(*roles: Role):
    """A dependency: the logged-in viewer, if their role is one of ``roles``."""

    def dependency(viewer: Annotated[Viewer, Depends(_viewer)]) -> Viewer:
        if viewer.role not in roles:
            allowed = terms("role", [r.value for r in roles])
            role = term("role", viewer.role)
            raise NotAllowed(Reason("refusal.page_for_roles", allowed=allowed, role=role))
        return viewer

    # the page's scope rule (platform/api/scope.py); squad data is scoped by the services
    dependency.scope_rule = Rule("roles", frozenset(roles))  # type: ignore[attr-defined]
    return dependency


def check_same_origin(request: Request) -> None:
    """Refuse a cross-site POST by its Origin header (when the browser sends one)."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        host = urlsplit(origin).netloc
        if host and host != request.headers.get("host", ""):
            raise CsrfFailed(f"cross-site request from {origin}")


async def require_csrf(request: Request, viewer: Viewer) -> None:
    """The CSRF token from the header or the form must equal the session's."""
    check_same_origin(request)
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not csrf_matches(viewer.csrf, given):
        raise CsrfFailed(Reason("session.csrf"))


def login_url(ctx: ConsoleContext, next_url: str) -> str:
    return f"{ctx.prefix}/login?next={quote(next_url, safe='/')}"


def safe_next(ctx: ConsoleContext, next_url: str | None) -> str:
    """Only a local console path may follow a login (no open redirect)."""
    if next_url and next_url.startswith(ctx.prefix + "/") and not next_url.startswith("//"):
        return next_url
    return ctx.prefix + "/queue"
