"""Login and logout: bearer access tokens (each role's own lifetime, whichever login route
issued them) and refresh tokens, both naming the login session that logout ends; bcrypt."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.security import HTTPAuthorizationCredentials, OAuth2PasswordRequestForm
from pydantic import BaseModel

from streetorder.platform.api.deps import (
    CurrentUser,
    NowDep,
    Public,
    SessionDep,
    StateDep,
    api_scope,
    bearer,
)
from streetorder.platform.db import User
from streetorder.platform.domain.errors import Unauthorized
from streetorder.platform.domain.roles import HUMAN_ROLES, Role
from streetorder.platform.schemas.common import In
from streetorder.platform.schemas.registry import UserPublic
from streetorder.platform.security import verify_password
from streetorder.platform.services import accounts, login_sessions

router = APIRouter(prefix="/auth", tags=["auth"])
LOGIN_ROLES = (*HUMAN_ROLES, Role.EDGE_NODE)
_DUMMY_HASH = "$2b$12$hqQh10gvtlaCeCS0FhNJb./bMuWqJY/8NuzrOi5XYtojtiIYi.t82"  # nobody's password


class LoginIn(In):
    username: str
    password: str


class RefreshIn(In):
    refresh_token: str


class TokenOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int
    user: UserPublic


def _tokens(state, user: User, now, sid: str) -> TokenOut:
    auth = state.settings.auth
    access_ttl = timedelta(minutes=auth.access_minutes(user.role))
    signer = state.rules.signer
    return TokenOut(
        access_token=signer.issue(user.id, "access", now, access_ttl, sid),
        refresh_token=signer.issue(
            user.id, "refresh", now, timedelta(days=auth.refresh_token_days), sid
        ),
        expires_in=int(access_ttl.total_seconds()),
        user=UserPublic.model_validate(user),
    )


def _login(session, state, now, username: str, password: str) -> TokenOut:
    user = accounts.user_by_username(session, username=username)
    # Check a password even for unknown users, so timing does not tell which usernames exist.
    valid = verify_password(password, user.password_hash if user else _DUMMY_HASH)
    if user is None or not user.active or user.role == Role.EDGE_NODE or not valid:
        raise Unauthorized("wrong username or password")
    sid = login_sessions.start(
        session, user_id=user.id, channel="api", now=now,
        lifetime=timedelta(days=state.settings.auth.refresh_token_days),
    )  # fmt: skip
    return _tokens(state, user, now, sid)


@router.post(
    "/login", response_model=TokenOut, summary="Log in with username and password",
    dependencies=[Public()],
)  # fmt: skip
def login(body: LoginIn, session: SessionDep, state: StateDep, now: NowDep) -> TokenOut:
    return _login(session, state, now, body.username, body.password)


@router.post(
    "/token", response_model=TokenOut, summary="OAuth2 password form (Swagger UI)",
    dependencies=[Public()],
)  # fmt: skip
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep, state: StateDep,
    now: NowDep,
) -> TokenOut:  # fmt: skip
    return _login(session, state, now, form.username, form.password)


@router.post(
    "/refresh", response_model=TokenOut, summary="New tokens from a refresh token",
    dependencies=[Public()],
)  # fmt: skip
def refresh(body: RefreshIn, session: SessionDep, state: StateDep, now: NowDep) -> TokenOut:
    claims = state.rules.signer.verify(body.refresh_token, "refresh", now)
    if claims.sid is None or not login_sessions.is_open(
        session, sid=claims.sid, user_id=claims.user_id
    ):
        raise Unauthorized("this login has ended (logged out); log in again")
    user = session.get(User, claims.user_id)
    if user is None or not user.active:
        raise Unauthorized("unknown or inactive user")
    return _tokens(state, user, now, claims.sid)


@router.post(
    "/logout", status_code=204, summary="End this login: its access and refresh tokens",
    dependencies=[api_scope.roles(*HUMAN_ROLES)],
)  # fmt: skip
def logout(
    session: SessionDep, state: StateDep, now: NowDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Response:  # fmt: skip
    """Every token of the login that issued this access token stops working now."""
    assert credentials is not None  # the scope rule admitted only a valid bearer token
    claims = state.rules.signer.verify(credentials.credentials, "access", now)
    login_sessions.end(session, sid=claims.sid, now=now, reason="logout")
    return Response(status_code=204)


@router.get(
    "/me", response_model=UserPublic, summary="The logged-in user",
    dependencies=[api_scope.roles(*LOGIN_ROLES)],
)  # fmt: skip
def me(user: CurrentUser) -> UserPublic:
    return UserPublic.model_validate(user)
