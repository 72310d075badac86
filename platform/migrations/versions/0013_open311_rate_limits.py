"""open311_rate_limits: anonymous Open311 posts per client address, shared by all replicas

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 03:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import streetorder.platform.db.base

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

UTC_DATETIME = streetorder.platform.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "open311_rate_limits",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("hits", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_open311_rate_limits")),
    )
    with op.batch_alter_table("open311_rate_limits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_open311_rate_limits_updated_at"), ["updated_at"])


def downgrade() -> None:
    with op.batch_alter_table("open311_rate_limits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_open311_rate_limits_updated_at"))
    op.drop_table("open311_rate_limits")
