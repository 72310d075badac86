"""model versions (uploaded detector bundles) and their assignments to nodes and cameras

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import streetorder.platform.db.base

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UTC_DATETIME = streetorder.platform.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "model_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("classes", sa.JSON(), nullable=False),
        sa.Column("imgsz", sa.JSON(), nullable=False),
        sa.Column("manifest", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("uploaded_by", sa.String(length=100), nullable=False),
        sa.Column("uploaded_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_versions")),
        sa.UniqueConstraint("name", "version", name=op.f("uq_model_versions_name_version")),
    )
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_model_versions_sha256"), ["sha256"], unique=False)
    op.create_table(
        "model_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=True),
        sa.Column("model_version_id", sa.Integer(), nullable=True),
        sa.Column("assigned_by", sa.String(length=100), nullable=False),
        sa.Column("assigned_at", UTC_DATETIME, nullable=False),
        sa.Column("replaced_at", UTC_DATETIME, nullable=True),
        sa.Column("config_revision", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["camera_id"], ["cameras.id"], name=op.f("fk_model_assignments_camera_id_cameras")
        ),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_versions.id"],
            name=op.f("fk_model_assignments_model_version_id_model_versions"),
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["node_id"], ["edge_nodes.id"], name=op.f("fk_model_assignments_node_id_edge_nodes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_assignments")),
    )
    with op.batch_alter_table("model_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_model_assignments_camera_id"), ["camera_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_model_assignments_node_id"), ["node_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("model_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_model_assignments_node_id"))
        batch_op.drop_index(batch_op.f("ix_model_assignments_camera_id"))
    op.drop_table("model_assignments")
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_model_versions_sha256"))
    op.drop_table("model_versions")
