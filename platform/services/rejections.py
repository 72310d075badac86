"""Messages the ingest refused, as stored for the administrators."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from streetorder.platform.db import RejectedMessage


def rejected_query(*, category: str | None = None) -> Any:
    """Refused messages newest first, of one category or all (for :func:`paging.page`)."""
    query = select(RejectedMessage).order_by(RejectedMessage.id.desc())
    return query if category is None else query.where(RejectedMessage.category == category)


def count_rejected(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(RejectedMessage)) or 0)
