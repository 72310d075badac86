"""retention_records: what the retention job deleted for each closed case (the audit record)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 00:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import streetorder.platform.db.base

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

UTC_DATETIME = streetorder.platform.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "retention_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("purged_at", UTC_DATETIME, nullable=False),
        sa.Column("closed_at", UTC_DATETIME, nullable=False),
        sa.Column("period_days", sa.Float(), nullable=False),
        sa.Column("files_deleted", sa.Integer(), nullable=False),
        sa.Column("bytes_deleted", sa.BigInteger(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("sms_redacted", sa.Integer(), nullable=False),
        sa.Column("reports_redacted", sa.Integer(), nullable=False),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_retention_records_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_records")),
        sa.UniqueConstraint("case_id", name=op.f("uq_retention_records_case_id")),
    )
    op.create_index(
        op.f("ix_retention_records_purged_at"), "retention_records", ["purged_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_retention_records_purged_at"), table_name="retention_records")
    op.drop_table("retention_records")
