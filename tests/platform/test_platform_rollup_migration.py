"""Migration 0003 backfills the dashboard rollups of a database that already holds cases."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from streetorder.platform.db import Case, Database, rollups
from streetorder.platform.db.base import UTCDateTime
from streetorder.server.migrate import upgrade
from tests.platform.conftest import T0

#: ``cases`` as revision 0002 knows it (only the columns written here).
OLD_CASES = Table(
    "cases", MetaData(),
    Column("id", Integer, primary_key=True), Column("source", String), Column("state", String),
    Column("street_id", Integer), Column("discovered_at", UTCDateTime()),
    Column("created_at", UTCDateTime()), Column("updated_at", UTCDateTime()),
    Column("step_started_at", UTCDateTime()), Column("confirmed_at", UTCDateTime()),
    Column("rectified_at", UTCDateTime()), Column("rectify_deadline_at", UTCDateTime()),
    Column("closed_at", UTCDateTime()), Column("place", String), Column("urge_count", Integer),
    Column("extension_count", Integer), Column("rework_count", Integer),
    Column("alert_count", Integer),
)  # fmt: skip
STREETS = Table(
    "streets", MetaData(), Column("id", Integer, primary_key=True), Column("code", String),
    Column("name", String), Column("district", String),
)  # fmt: skip


def old_case(n: int, state: str, **extra) -> dict:
    found = T0 + timedelta(minutes=37 * n, seconds=n, microseconds=500_000 * (n % 2))
    row = {
        "source": "camera" if n % 3 else "citizen", "state": state,
        "street_id": 1 if n % 4 else None, "discovered_at": found, "created_at": found,
        "updated_at": found, "step_started_at": found, "place": "", "urge_count": n % 2,
        "extension_count": 0, "rework_count": 0, "alert_count": 1, "confirmed_at": None,
        "rectified_at": None, "rectify_deadline_at": None, "closed_at": None,
    }  # fmt: skip
    if state != "pending_review" and state != "rejected":
        row["confirmed_at"] = found + timedelta(minutes=5)
    if state in ("rectified", "closed"):
        row["rectify_deadline_at"] = found + timedelta(hours=24)
        row["rectified_at"] = found + timedelta(hours=(20 if n % 2 else 30))
    if state in ("closed", "rejected"):
        row["closed_at"] = found + timedelta(hours=31, seconds=n, microseconds=700_000)
    row.update(extra)
    return row


def test_the_backfill_equals_a_recount(database_url: str) -> None:
    upgrade(database_url, "0002")
    db = Database(database_url)
    try:
        states = ["pending_review", "rejected", "notified_dispatched", "rectified", "closed"]
        with db.engine.begin() as conn:
            conn.execute(insert(STREETS), [{"id": 1, "code": "s", "name": "S", "district": ""}])
            conn.execute(
                insert(OLD_CASES), [old_case(n, states[n % len(states)]) for n in range(60)]
            )
        upgrade(database_url)
        with db.session() as s:
            want = rollups.recount(s)
            assert len(want) > 10 and rollups.stored(s) == want
            confirmed_on = s.query(Case).filter(Case.state.in_(states[2:])).all()
            assert confirmed_on and all(c.dispatched_at == c.confirmed_at for c in confirmed_on)
            assert s.query(Case).filter(Case.dispatched_at.is_not(None)).count() == len(
                confirmed_on
            )
    finally:
        db.dispose()
