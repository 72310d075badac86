"""Multi-row inserts and updates for the ingest hot path, on SQLite and PostgreSQL.

On PostgreSQL a batch travels as ONE JSON parameter expanded by ``json_to_recordset`` on the
server: the client neither renders nor parses a statement with thousands of placeholders (which
costs more than the insert itself for batches of hundreds of rows). SQLite uses SQLAlchemy's
multi-row ``INSERT ... RETURNING``. Both give the same results; the tests run on both.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Table, bindparam, text, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from streetorder.platform.db.base import UTCDateTime


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime")
        return value.astimezone(UTC).isoformat()
    raise TypeError(f"cannot send {type(value).__name__} in a bulk row")


def _pg_type(table: Table, column: str) -> str:
    col_type = table.c[column].type
    if isinstance(col_type, UTCDateTime):
        return "timestamptz"
    if isinstance(col_type, JSON):
        return "json"
    return col_type.compile(dialect=postgresql.dialect())


def _recordset(table: Table, columns: Sequence[str]) -> str:
    definition = ", ".join(f'"{c}" {_pg_type(table, c)}' for c in columns)
    return f"json_to_recordset(CAST(:rows AS json)) AS x({definition})"


def insert_rows(
    session: Session, table: Table, rows: list[dict[str, Any]], *,
    returning: Sequence[str] = (), conflict_key: str | None = None,
) -> list[tuple[Any, ...]]:  # fmt: skip
    """Insert rows (all with the same keys); with ``conflict_key``, skip rows whose key exists.

    Returns the ``returning`` columns of the rows actually inserted.
    """
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        columns = list(rows[0])
        names = ", ".join(f'"{c}"' for c in columns)
        sql = f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {_recordset(table, columns)}"
        if conflict_key:
            sql += f' ON CONFLICT ("{conflict_key}") DO NOTHING'
        if returning:
            sql += " RETURNING " + ", ".join(f'"{c}"' for c in returning)
        result = session.execute(text(sql), {"rows": json.dumps(rows, default=_json_default)})
        return [tuple(r) for r in result] if returning else []
    from sqlalchemy.dialects.sqlite import insert

    stmt = insert(table)
    if conflict_key:
        stmt = stmt.on_conflict_do_nothing(index_elements=[conflict_key])
    if not returning:
        session.execute(stmt, rows)
        return []
    stmt = stmt.returning(*(table.c[c] for c in returning))
    if len(rows) == 1:
        return [tuple(r) for r in session.execute(stmt.values(rows))]
    return [tuple(r) for r in session.execute(stmt, rows)]


def update_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """``UPDATE table SET ... WHERE id = row["id"]`` for each row (all with the same keys)."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        columns = list(rows[0])
        sets = ", ".join(f'"{c}" = x."{c}"' for c in columns if c != "id")
        source = _recordset(table, columns)
        sql = f"UPDATE {table.name} SET {sets} FROM {source} WHERE {table.name}.id = x.id"
        session.execute(text(sql), {"rows": json.dumps(rows, default=_json_default)})
        return
    session.connection().execute(
        update(table).where(table.c.id == bindparam("b_id")),
        [{"b_id": r["id"], **{k: v for k, v in r.items() if k != "id"}} for r in rows],
    )
