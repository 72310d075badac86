"""Login: bearer access tokens (short-lived) and refresh tokens; bcrypt passwords."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from streetorder.platform.api.deps import (
    CurrentUser,
    NowDep,
    Public,
    SessionDep,
    StateDep,
    api_scope,
)
from streetorder.platform.db import User
from streetorder.platform.domain.errors import Unauthorized
from streetorder.platform.domain.roles import HUMAN_ROLES, Role
from streetorder.platform.schemas.common import In
from streetorder.platform.schemas.registry import UserPublic
from streetorder.platform.security import verify_password
from streetorder.platform.services import accounts

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


def _tokens(state, user: User, now) -> TokenOut:
    auth = state.settings.auth
    access_ttl = timedelta(minutes=auth.access_token_minutes)
    signer = state.rules.signer
    return TokenOut(
        access_token=signer.issue(user.id, "access", now, access_ttl),
        refresh_token=signer.issue(
            user.id, "refresh", now, timedelta(days=auth.refresh_token_days)
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
    return _tokens(state, user, now)


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
    user = session.get(User, claims.user_id)
    if user is None or not user.active:
        raise Unauthorized("unknown or inactive user")
    return _tokens(state, user, now)


@router.get(
    "/me", response_model=UserPublic, summary="The logged-in user",
    dependencies=[api_scope.roles(*LOGIN_ROLES)],
)  # fmt: skip
def me(user: CurrentUser) -> UserPublic:
    return UserPublic.model_validate(user)
