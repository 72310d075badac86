"""The database answers: the liveness check behind ``GET /api/v1/health``."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def ping(session: Session) -> None:
    """Run a trivial statement; raises when the database does not answer."""
    session.execute(text("SELECT 1"))
