"""Operational failures of the server's commands as one line each: which database, which file.

A database that cannot be reached raises a driver error deep inside SQLAlchemy or Alembic; the
commands turn it into a :class:`StreetorderError` naming the database (password hidden) and the
driver's first line, so the operator reads the cause instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from streetorder.errors import StreetorderError


def describe_database(url: str) -> str:
    """The URL without its password."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # a malformed URL: say what we were given, minus anything after '@'
        return url.rsplit("@", 1)[-1]


def _first_line(exc: BaseException) -> str:
    cause = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    return lines[0] if lines else type(cause).__name__


@contextmanager
def database_errors(url: str) -> Iterator[None]:
    """Translate "cannot connect" errors of the database at ``url`` into one line."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        raise StreetorderError(
            f"database {describe_database(url)}: cannot connect: {_first_line(exc)}"
        ) from None
