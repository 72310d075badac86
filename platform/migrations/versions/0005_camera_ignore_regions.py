"""cameras: ignore regions (reviewers' fixed structures) and an explicit scene reference request

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import streetorder.platform.db.base

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UTC_DATETIME = streetorder.platform.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reference_image", sa.String(length=1024), nullable=True))
        batch_op.add_column(sa.Column("reference_at", UTC_DATETIME, nullable=True))
        batch_op.add_column(sa.Column("reference_set_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("reference_set_at", UTC_DATETIME, nullable=True))
    op.create_table(
        "camera_ignore_regions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("box", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("alert_id", sa.String(length=64), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("removed_by", sa.String(length=100), nullable=True),
        sa.Column("removed_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_camera_ignore_regions_camera_id_cameras")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_camera_ignore_regions")),
        sa.UniqueConstraint(
            "camera_id", "code", name=op.f("uq_camera_ignore_regions_camera_id_code")
        ),
    )
    with op.batch_alter_table("camera_ignore_regions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_camera_ignore_regions_camera_id"), ["camera_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("camera_ignore_regions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_camera_ignore_regions_camera_id"))
    op.drop_table("camera_ignore_regions")
    with op.batch_alter_table("cameras", schema=None) as batch_op:
        batch_op.drop_column("reference_set_at")
        batch_op.drop_column("reference_set_by")
        batch_op.drop_column("reference_at")
        batch_op.drop_column("reference_image")
