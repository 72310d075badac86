"""The Alembic migrations build the same schema as the models, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from streetorder.platform.db import Base, Database
from streetorder.server.migrate import current, downgrade, upgrade


def test_migrations_match_models_and_downgrade(database_url: str) -> None:
    upgrade(database_url)
    assert current(database_url) is not None
    db = Database(database_url)
    try:
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            assert diff == [], f"models and migrations differ: {diff}"
            assert {"cases", "case_events", "alerts", "sms_messages"} <= set(
                inspect(conn).get_table_names()
            )
    finally:
        db.dispose()
    downgrade(database_url, "base")
    db = Database(database_url)
    try:
        with db.engine.connect() as conn:
            assert "cases" not in inspect(conn).get_table_names()
    finally:
        db.dispose()
