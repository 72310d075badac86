"""Hourly rollups of the cases table, kept in the same transaction as every case change.

One row per (UTC hour of discovery, street, source, state) holds the sums of
``domain/case_figures.py`` over the cases in it. The dashboard reads these rows instead of
scanning the cases: a year is ~9,000 hours, whatever the number of cases.

How they stay right:

* ORM changes: ``after_flush`` compares each new, changed or deleted ``Case`` with its old
  values (the columns keep ``active_history``) and records the difference; ``before_commit``
  writes the differences of the whole transaction, in key order (so two transactions never
  lock rollup rows in opposite orders), as one upsert.
* Core bulk inserts of cases (the ingest): :func:`add_inserted` with the inserted rows.
* A rollback forgets the differences. :func:`recount` gives the truth from the cases table and
  :func:`rebuild` writes it. Limit: a savepoint (``begin_nested``) rolled back after flushing
  case changes would keep their differences; no code changes cases inside a savepoint.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    UniqueConstraint,
    delete,
    event,
    inspect,
    select,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.orm.attributes import NO_VALUE

from streetorder.platform.db.base import Base
from streetorder.platform.db.cases import Case
from streetorder.platform.domain.case_figures import COUNTERS, BucketKey, contribution

PENDING = "streetorder.rollup_deltas"
FACTS = (
    "state", "source", "street_id", "discovered_at", "urge_count", "confirmed_at",
    "dispatched_at", "self_corrected_at", "rectified_at", "rectify_deadline_at", "closed_at",
)  # fmt: skip
#: Column defaults of a case row inserted without them (as ``Case`` declares them).
ROW_DEFAULTS: dict[str, Any] = {"source": "camera", "urge_count": 0, "street_id": None}


class CaseRollup(Base):
    """Sums over the cases discovered in one UTC hour, on one street, from one source, in one
    state (``street_id`` 0: no street)."""

    __tablename__ = "case_rollups"
    __table_args__ = (UniqueConstraint("hour", "street_id", "source", "state"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    hour: Mapped[datetime] = mapped_column()
    street_id: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(24))
    cases: Mapped[int] = mapped_column(Integer, default=0)
    urged: Mapped[int] = mapped_column(Integer, default=0)
    confirmed: Mapped[int] = mapped_column(Integer, default=0)
    dispatched: Mapped[int] = mapped_column(Integer, default=0)
    self_corrected: Mapped[int] = mapped_column(Integer, default=0)
    corrected_in_time: Mapped[int] = mapped_column(Integer, default=0)
    handling_seconds: Mapped[int] = mapped_column(BigInteger, default=0)


Deltas = dict[BucketKey, list[int]]


def _deltas(session: Session) -> Deltas:
    deltas = session.info.get(PENDING)
    if deltas is None:
        deltas = session.info[PENDING] = defaultdict(lambda: [0] * len(COUNTERS))
    return deltas


def _add(deltas: Deltas, key: BucketKey, values: tuple[int, ...], sign: int) -> None:
    row = deltas[key]
    for i, v in enumerate(values):
        row[i] += sign * v


def _old_facts(case: Case) -> SimpleNamespace:
    """The case as the database had it before this flush."""
    state = inspect(case)
    old: dict[str, Any] = {}
    for name in FACTS:
        history = state.attrs[name].history
        if history.deleted:
            value = history.deleted[0]
        elif history.unchanged:
            value = history.unchanged[0]
        else:
            value = getattr(case, name)
        old[name] = None if value is NO_VALUE else value
    return SimpleNamespace(**old)


def _after_flush(session: Session, _context: Any) -> None:
    deltas: Deltas | None = None
    for case in session.new:
        if isinstance(case, Case):
            deltas = deltas if deltas is not None else _deltas(session)
            _add(deltas, *contribution(case), +1)
    for case in session.dirty:
        if isinstance(case, Case) and session.is_modified(case):
            old, new = contribution(_old_facts(case)), contribution(case)
            if old != new:
                deltas = deltas if deltas is not None else _deltas(session)
                _add(deltas, *old, -1)
                _add(deltas, *new, +1)
    for case in session.deleted:
        if isinstance(case, Case):
            deltas = deltas if deltas is not None else _deltas(session)
            _add(deltas, *contribution(_old_facts(case)), -1)


def _before_commit(session: Session) -> None:
    session.flush()
    deltas = session.info.pop(PENDING, None)
    if deltas:
        apply(session, deltas)


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(PENDING, None)


def track(factory: sessionmaker[Session]) -> None:
    """Keep the rollups of every session this factory makes."""
    event.listen(factory, "after_flush", _after_flush)
    event.listen(factory, "before_commit", _before_commit)
    event.listen(factory, "after_rollback", _forget)


def add_inserted(session: Session, rows: list[dict[str, Any]]) -> None:
    """Count case rows inserted without the ORM (``db/bulk.py``) in this transaction."""
    deltas = _deltas(session)
    for row in rows:
        facts = SimpleNamespace(**{n: row.get(n, ROW_DEFAULTS.get(n)) for n in FACTS})
        _add(deltas, *contribution(facts), +1)


def apply(session: Session, deltas: Deltas) -> None:
    """Add ``deltas`` to the rollup rows (created when missing), in key order."""
    rows = [
        {"hour": k.hour, "street_id": k.street_id, "source": k.source, "state": k.state,
         **dict(zip(COUNTERS, v, strict=True))}
        for k, v in sorted(deltas.items()) if any(v)
    ]  # fmt: skip
    if not rows:
        return
    table = CaseRollup.__table__
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=["hour", "street_id", "source", "state"],
        set_={c: table.c[c] + stmt.excluded[c] for c in COUNTERS},
    )
    session.connection().execute(stmt)


#: The rollups recomputed from the cases table in one statement (PostgreSQL).
PG_REBUILD = """
INSERT INTO case_rollups (hour, street_id, source, state, cases, urged, confirmed, dispatched,
                          self_corrected, corrected_in_time, handling_seconds)
SELECT date_trunc('hour', discovered_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
       coalesce(street_id, 0), source, state, count(*),
       count(*) FILTER (WHERE urge_count > 0),
       count(confirmed_at), count(dispatched_at), count(self_corrected_at),
       count(*) FILTER (WHERE rectified_at <= rectify_deadline_at),
       coalesce(sum(greatest(0, floor(extract(epoch FROM closed_at - discovered_at))))
                FILTER (WHERE state = 'closed'), 0)
FROM cases
GROUP BY 1, 2, 3, 4
"""


def rebuild(session: Session) -> None:
    """Replace the rollups with a recount of the cases table (after cases were written behind
    the ORM's back, e.g. a bulk load in SQL). Locks the rollups for the transaction."""
    session.execute(delete(CaseRollup))
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(PG_REBUILD))
        return
    apply(session, {k: list(v) for k, v in recount(session).items()})


def stored(session: Session) -> dict[BucketKey, tuple[int, ...]]:
    """The rollup rows that are not all zero."""
    out = {}
    for row in session.scalars(select(CaseRollup)):
        values = tuple(getattr(row, c) for c in COUNTERS)
        if any(values):
            out[BucketKey(row.hour, row.street_id, row.source, row.state)] = values
    return out


def recount(session: Session) -> dict[BucketKey, tuple[int, ...]]:
    """What the rollup rows must hold, counted case by case from the cases table."""
    sums: Deltas = defaultdict(lambda: [0] * len(COUNTERS))
    columns = [getattr(Case, n) for n in FACTS]
    for values in session.execute(select(*columns)):
        _add(sums, *contribution(SimpleNamespace(**dict(zip(FACTS, values, strict=True)))), +1)
    return {k: tuple(v) for k, v in sums.items() if any(v)}
