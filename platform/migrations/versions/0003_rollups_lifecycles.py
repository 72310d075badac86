"""dashboard rollups, dispatch and self-correction times, work-order and SMS history

Adds ``cases.dispatched_at`` (backfilled: confirmed cases that went on, dispatched at
confirmation as before) and ``cases.self_corrected_at``; creates ``lifecycle_events`` and
``case_rollups`` and fills the rollups from the cases table (one INSERT ... SELECT on
PostgreSQL; row by row on SQLite, which has no time zones in SQL).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 21:00:00
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import streetorder.platform.db.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UTC_TIME = streetorder.platform.db.base.UTCDateTime(timezone=True)
COUNTERS = (
    "cases", "urged", "confirmed", "dispatched", "self_corrected", "corrected_in_time",
    "handling_seconds",
)  # fmt: skip

PG_BACKFILL = """
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


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dispatched_at", UTC_TIME, nullable=True))
        batch_op.add_column(sa.Column("self_corrected_at", UTC_TIME, nullable=True))
    op.execute(
        "UPDATE cases SET dispatched_at = confirmed_at WHERE confirmed_at IS NOT NULL "
        "AND state NOT IN ('confirmed', 'rejected')"
    )
    op.create_table(
        "lifecycle_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("from_state", sa.String(length=24), nullable=True),
        sa.Column("to_state", sa.String(length=24), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_lifecycle_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_lifecycle_events_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lifecycle_events")),
    )
    op.create_index(
        op.f("ix_lifecycle_events_case_id"), "lifecycle_events", ["case_id"], unique=False
    )
    op.create_index(
        "ix_lifecycle_events_subject", "lifecycle_events", ["subject", "subject_id"], unique=False
    )
    rollups = op.create_table(
        "case_rollups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hour", UTC_TIME, nullable=False),
        sa.Column("street_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        *(sa.Column(c, sa.Integer(), nullable=False) for c in COUNTERS[:-1]),
        sa.Column("handling_seconds", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_rollups")),
        sa.UniqueConstraint(
            "hour",
            "street_id",
            "source",
            "state",
            name=op.f("uq_case_rollups_hour_street_id_source_state"),
        ),  # fmt: skip
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(PG_BACKFILL)
    else:
        op.bulk_insert(rollups, _sqlite_rows(bind))


def _sqlite_rows(bind) -> list[dict]:
    """The same sums as ``PG_BACKFILL``, computed in Python (SQLite stores naive UTC)."""
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(COUNTERS))
    rows = bind.execute(
        sa.text(
            "SELECT discovered_at, street_id, source, state, urge_count, confirmed_at, "
            "dispatched_at, self_corrected_at, rectified_at, rectify_deadline_at, closed_at "
            "FROM cases"
        )
    )
    for (
        found,
        street,
        source,
        state,
        urges,
        confirmed,
        dispatched,
        selfc,
        rect,
        due,
        closed,
    ) in rows:
        found = _utc(found)
        bucket = sums[
            (found.replace(minute=0, second=0, microsecond=0), street or 0, source, state)
        ]
        handling = 0
        if state == "closed" and closed is not None:
            handling = max(0, (_utc(closed) - found) // timedelta(seconds=1))
        in_time = rect is not None and due is not None and _utc(rect) <= _utc(due)
        flags = (True, urges > 0, confirmed, dispatched, selfc, in_time)
        for i, flag in enumerate(flags):
            bucket[i] += int(flag is not None and flag is not False)
        bucket[6] += handling
    return [
        {
            "hour": k[0],
            "street_id": k[1],
            "source": k[2],
            "state": k[3],
            **dict(zip(COUNTERS, v, strict=True)),
        }
        for k, v in sums.items()
    ]


def _utc(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def downgrade() -> None:
    op.drop_table("case_rollups")
    op.drop_index("ix_lifecycle_events_subject", table_name="lifecycle_events")
    op.drop_index(op.f("ix_lifecycle_events_case_id"), table_name="lifecycle_events")
    op.drop_table("lifecycle_events")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("self_corrected_at")
        batch_op.drop_column("dispatched_at")
