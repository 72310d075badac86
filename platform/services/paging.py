"""One page of a query and the total it would return: the paging every list endpoint shares."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session


def page(session: Session, stmt: Any, *, offset: int, limit: int) -> tuple[list[Any], int]:
    """Rows ``offset .. offset+limit`` of ``stmt`` and the count of all its rows."""
    count = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return list(session.scalars(stmt.offset(offset).limit(limit))), int(count or 0)
