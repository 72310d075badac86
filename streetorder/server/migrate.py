"""Run the Alembic migrations of both parts against a URL (no alembic.ini needed).

The environment (``streetorder/server/migrations/env.py``) knows the platform's and the officer
app's tables. The revision files stay in ``platform/migrations/versions`` under their original
ids, so databases migrated before the move upgrade as they did.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

import streetorder.platform.db as platform_db

SCRIPT_DIR = Path(__file__).resolve().parent / "migrations"
VERSIONS_DIR = Path(platform_db.__file__).resolve().parent.parent / "migrations" / "versions"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(VERSIONS_DIR))
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` (the latest by default)."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def current(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    from streetorder.platform.db.session import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
