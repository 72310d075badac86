"""index cases by state and deadline (yellow-light lists)

Revision ID: 0002
Revises: mobile_0001
Create Date: 2026-11-22 01:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "mobile_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_state_deadline", "cases", ["state", "deadline_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_cases_state_deadline", table_name="cases")
