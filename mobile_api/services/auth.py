"""Officer login: a short-lived access token (the platform's signed bearer token) and a rotating
refresh token stored hashed, so it can be revoked. The refresh-token family is the login
session: logging out or reusing a rotated refresh token ends it, and its access tokens with it."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from streetorder.i18n import Reason
from streetorder.mobile_api.db import RefreshToken
from streetorder.mobile_api.settings import TokenSettings
from streetorder.platform.db import User
from streetorder.platform.domain.errors import Forbidden, Unauthorized
from streetorder.platform.domain.roles import Role
from streetorder.platform.security import TokenSigner, verify_password
from streetorder.platform.services import login_sessions

APP_ROLES = frozenset({Role.OFFICER, Role.SQUAD_LEADER})


class TokenReused(Unauthorized):
    """A rotated refresh token came back: the caller revokes the family (in its own
    transaction, since this one rolls back) and answers 401."""

    def __init__(self, family: str) -> None:
        super().__init__(Reason("session.token_reused"))
        self.family = family


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    access_expires_at: datetime
    refresh_expires_at: datetime
    user: User


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_app_user(user: User | None) -> User:
    if user is None or not user.active:
        raise Unauthorized(Reason("officer.unknown_user"))
    if user.role not in APP_ROLES or user.squad_id is None:
        raise Forbidden(Reason("officer.not_for_role"))
    return user


def _issue(
    session: Session,
    *,
    user: User,
    family: str,
    signer: TokenSigner,
    tokens: TokenSettings,
    now: datetime,
) -> TokenPair:
    access_ttl = timedelta(minutes=tokens.access_minutes)
    refresh_ttl = timedelta(days=tokens.refresh_days)
    refresh = "sor_" + secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            user_id=user.id,
            token_hash=token_hash(refresh),
            family=family,
            issued_at=now,
            expires_at=now + refresh_ttl,
        )
    )
    session.flush()
    access = signer.issue(user.id, "access", now, access_ttl, family)
    return TokenPair(access, refresh, now + access_ttl, now + refresh_ttl, user)


def login(
    session: Session,
    *,
    username: str,
    password: str,
    signer: TokenSigner,
    tokens: TokenSettings,
    now: datetime,
) -> TokenPair:
    user = session.scalars(select(User).filter_by(username=username)).first()
    if user is None or not verify_password(password, user.password_hash):
        raise Unauthorized(Reason("officer.wrong_password"))
    check_app_user(user)
    family = login_sessions.start(
        session, user_id=user.id, channel="app", now=now,
        lifetime=timedelta(days=tokens.refresh_days),
    )  # fmt: skip
    return _issue(session, user=user, family=family, signer=signer, tokens=tokens, now=now)


def refresh(
    session: Session, *, token: str, signer: TokenSigner, tokens: TokenSettings, now: datetime
) -> TokenPair:
    """Rotate: the presented token is used up and a new pair issued. Presenting a token that
    was already used revokes every token of its family (it leaked)."""
    row = session.scalars(select(RefreshToken).filter_by(token_hash=token_hash(token))).first()
    if row is None:
        raise Unauthorized(Reason("officer.unknown_refresh"))
    if row.revoked_at is not None:
        raise Unauthorized(Reason("officer.refresh_revoked"))
    if row.used_at is not None:
        raise TokenReused(row.family)
    if now >= row.expires_at:
        raise Unauthorized(Reason("officer.refresh_expired"))
    user = check_app_user(session.get(User, row.user_id))
    row.used_at = now
    pair = _issue(session, user=user, family=row.family, signer=signer, tokens=tokens, now=now)
    login_sessions.extend(session, sid=row.family, until=pair.refresh_expires_at)
    return pair


def revoke_family(
    session: Session, *, family: str, now: datetime, reason: str = "refresh token reused"
) -> None:
    """End the login: its refresh tokens and, through its session, its access tokens."""
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.family == family, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    login_sessions.end(session, sid=family, now=now, reason=reason)


def logout(session: Session, *, token: str, now: datetime) -> None:
    """End this login on every device that shares its refresh-token family."""
    row = session.scalars(select(RefreshToken).filter_by(token_hash=token_hash(token))).first()
    if row is not None:
        revoke_family(session, family=row.family, now=now, reason="logout")
