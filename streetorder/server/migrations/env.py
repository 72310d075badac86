"""Alembic environment of the whole server: the platform's and the officer app's tables.

Run through ``streetorder platform migrate`` (or :func:`streetorder.server.migrate.upgrade`);
the URL is passed in ``config.attributes["url"]``, else read from the settings file named by
``STREETORDER_PLATFORM_CONFIG`` (defaults plus environment overrides when unset).
"""

from __future__ import annotations

import os

from alembic import context

import streetorder.mobile_api.db  # noqa: F401 (officer-app tables on the same Base)
from streetorder.platform.db import Base
from streetorder.platform.db.session import make_engine
from streetorder.server.settings import load_settings

config = context.config


def database_url() -> str:
    url = config.attributes.get("url")
    if url:
        return url
    path = os.environ.get("STREETORDER_PLATFORM_CONFIG") or None
    return load_settings(path).platform.database_url


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(database_url())
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=database_url(), target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations()
