"""Login sessions: every login opens one; its cookie or access tokens name it (``sid``) and
work only while it is open. Logging out, or a refresh token used twice, ends it, and with it
every token of that login, before they expire."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from streetorder.platform.db.registry import LoginSession

CHANNELS = ("console", "api", "app")


def start(
    session: Session, *, user_id: int, channel: str, now: datetime, lifetime: timedelta,
    sid: str | None = None,
) -> str:  # fmt: skip
    """Open a session (``sid``: a given id, e.g. the officer app's refresh-token family)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown login channel {channel!r}")
    sid = sid or secrets.token_hex(16)
    session.add(
        LoginSession(
            sid=sid, user_id=user_id, channel=channel, started_at=now, expires_at=now + lifetime
        )  # fmt: skip
    )
    session.flush()
    return sid


def is_open(session: Session, *, sid: str | None, user_id: int) -> bool:
    """The session exists, is this user's and was not ended (how long a cookie or token lasts
    is its own signed expiry; ``expires_at`` says until when the login may be refreshed)."""
    if not sid:
        return False
    row = session.execute(
        select(LoginSession.user_id, LoginSession.ended_at).filter_by(sid=sid)
    ).first()
    return row is not None and row.user_id == user_id and row.ended_at is None


def extend(session: Session, *, sid: str, until: datetime) -> None:
    """A refresh keeps the session as long as its new refresh token."""
    session.execute(
        update(LoginSession)
        .where(LoginSession.sid == sid, LoginSession.ended_at.is_(None))
        .values(expires_at=until)
    )


def end(session: Session, *, sid: str | None, now: datetime, reason: str) -> bool:
    """End a session (once); True when it was open."""
    if not sid:
        return False
    result = session.execute(
        update(LoginSession)
        .where(LoginSession.sid == sid, LoginSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason[:100])
    )
    return bool(result.rowcount)
