"""index the open cases by deadline, with discovery time and street (the dashboard's yellow lights)

A partial index over the open cases only (state not closed or rejected); on PostgreSQL it
carries ``discovered_at`` and ``street_id`` so the count of a period's yellow lights per street
is an index-only scan (about 40,000 entries at 1,000,000 cases instead of as many heap reads).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 21:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

OPEN = sa.text("state NOT IN ('closed', 'rejected')")


def upgrade() -> None:
    op.create_index(
        "ix_cases_open_deadline", "cases", ["deadline_at"], unique=False,
        postgresql_include=["discovered_at", "street_id"], postgresql_where=OPEN,
        sqlite_where=OPEN,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_cases_open_deadline", table_name="cases")
