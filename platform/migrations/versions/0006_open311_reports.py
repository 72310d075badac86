"""Open311: trusted clients, citizen reports, and shops' coordinates for matching reports

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import streetorder.platform.db.base

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UTC_DATETIME = streetorder.platform.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "open311_clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("api_key_hash", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("revoked_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open311_clients")),
        sa.UniqueConstraint("api_key_hash", name=op.f("uq_open311_clients_api_key_hash")),
        sa.UniqueConstraint("name", name=op.f("uq_open311_clients_name")),
    )
    op.create_table(
        "citizen_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("service_code", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("joined_open_case", sa.Boolean(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=True),
        sa.Column("match_distance_m", sa.Float(), nullable=True),
        sa.Column("requested_at", UTC_DATETIME, nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("media_url", sa.String(length=2000), nullable=True),
        sa.Column("photo_ids", sa.JSON(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("reporter_first_name", sa.String(length=100), nullable=True),
        sa.Column("reporter_last_name", sa.String(length=100), nullable=True),
        sa.Column("reporter_email", sa.String(length=254), nullable=True),
        sa.Column("reporter_phone", sa.String(length=20), nullable=True),
        sa.Column("device_id", sa.String(length=100), nullable=True),
        sa.Column("account_id", sa.String(length=100), nullable=True),
        sa.Column("sms_consent", sa.Boolean(), nullable=False),
        sa.Column("closure_sms_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_citizen_reports_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["open311_clients.id"],
            name=op.f("fk_citizen_reports_client_id_open311_clients"),
        ),
        sa.ForeignKeyConstraint(
            ["closure_sms_id"],
            ["sms_messages.id"],
            name=op.f("fk_citizen_reports_closure_sms_id_sms_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_citizen_reports_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_reports")),
        sa.UniqueConstraint("token", name=op.f("uq_citizen_reports_token")),
    )
    with op.batch_alter_table("citizen_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_citizen_reports_case_id"), ["case_id"])
        batch_op.create_index(batch_op.f("ix_citizen_reports_requested_at"), ["requested_at"])
        batch_op.create_index(batch_op.f("ix_citizen_reports_service_code"), ["service_code"])
    with op.batch_alter_table("merchants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("longitude", sa.Float(), nullable=True))
        batch_op.create_index("ix_merchants_location", ["latitude", "longitude"])


def downgrade() -> None:
    with op.batch_alter_table("merchants", schema=None) as batch_op:
        batch_op.drop_index("ix_merchants_location")
        batch_op.drop_column("longitude")
        batch_op.drop_column("latitude")
    with op.batch_alter_table("citizen_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citizen_reports_service_code"))
        batch_op.drop_index(batch_op.f("ix_citizen_reports_requested_at"))
        batch_op.drop_index(batch_op.f("ix_citizen_reports_case_id"))
    op.drop_table("citizen_reports")
    op.drop_table("open311_clients")
