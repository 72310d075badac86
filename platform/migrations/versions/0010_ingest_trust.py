"""ingest trust: refused messages keep their bytes, category, node and alert id; alerts keep the
sha256 of their content (another message with the same id and other content is a conflict)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 00:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rejected_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payload", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("payload_size", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("category", sa.String(length=16), nullable=False, server_default="invalid")
        )
        batch_op.add_column(sa.Column("node_code", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("alert_id", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_rejected_messages_category"), ["category"])
        batch_op.create_index(batch_op.f("ix_rejected_messages_alert_id"), ["alert_id"])
    with op.batch_alter_table("rejected_messages", schema=None) as batch_op:
        batch_op.alter_column("category", server_default=None)
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("content_sha256")
    with op.batch_alter_table("rejected_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rejected_messages_alert_id"))
        batch_op.drop_index(batch_op.f("ix_rejected_messages_category"))
        batch_op.drop_column("alert_id")
        batch_op.drop_column("node_code")
        batch_op.drop_column("category")
        batch_op.drop_column("payload_size")
        batch_op.drop_column("payload")
