"""Messages the ingest refused, as stored for the administrators."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from streetorder.platform.db import RejectedMessage


def rejected_query() -> Any:
    """Refused messages newest first (for :func:`paging.page`)."""
    return select(RejectedMessage).order_by(RejectedMessage.id.desc())


def count_rejected(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(RejectedMessage)) or 0)
