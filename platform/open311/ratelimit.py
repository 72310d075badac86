"""Anonymous posts per client address: a sliding window kept in the database, so every
platform replica counts the same posts (``open311_rate_limits``, one row per address).

The window itself is pure (:func:`slide`); :func:`hit` reads, slides and writes one row under
a lock: PostgreSQL's row lock (after an insert that does nothing when the row exists), SQLite's
``BEGIN IMMEDIATE``. The address is stored as a keyed hash (:func:`address_key`), and rows idle
for a whole window are deleted by the next hit.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from streetorder.platform.db import Open311RateLimit


def slide(
    hits: Sequence[float], now: float, *, limit: int, window: float
) -> tuple[list[float], int | None]:
    """The hits still in the window plus this one, and ``None`` if this one is allowed, else
    the seconds until one is allowed again. Refused hits count too, so a flood stays refused
    until it pauses; at most ``2 * limit`` hits are kept (bounded under a flood)."""
    kept = [t for t in hits if t > now - window]
    allowed = len(kept) < limit
    if len(kept) < limit * 2:
        kept.append(now)
    if allowed:
        return kept, None
    return kept, max(1, math.ceil(kept[0] + window - now))


def address_key(secret: str, address: str) -> str:
    """The row key of a client address: HMAC-SHA256 with the platform's secret key."""
    return hmac.new(secret.encode(), f"open311:{address}".encode(), hashlib.sha256).hexdigest()


def hit(session: Session, *, key: str, now: datetime, limit: int, window: int) -> int | None:
    """Record a post of ``key`` (commit the session to count it); as :func:`slide`."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(Open311RateLimit)
        .values(key=key, hits=[], updated_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    hits = session.scalar(
        select(Open311RateLimit.hits).where(Open311RateLimit.key == key).with_for_update()
    )
    kept, wait = slide(hits or [], now.timestamp(), limit=limit, window=window)
    written = session.execute(
        update(Open311RateLimit)
        .where(Open311RateLimit.key == key)
        .values(hits=kept, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if written.rowcount == 0:  # an idle row was deleted by another replica's hit meanwhile
        session.execute(
            insert(Open311RateLimit)
            .values(key=key, hits=kept, updated_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
        )
    session.execute(
        delete(Open311RateLimit)
        .where(Open311RateLimit.updated_at < now - timedelta(seconds=window))
        .execution_options(synchronize_session=False)
    )
    return wait
