"""Data access in one layer: route handlers and console views build no queries; services do.

Reads the source with ast: no call of SQLAlchemy's ``select``/``insert``/``update``/``delete``
and no ``session.execute``/``session.scalars``/``session.scalar`` in ``platform/api``,
``platform/web``, ``mobile_api/api`` or ``platform/open311/api``.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LAYERS = ("platform/api", "platform/web", "mobile_api/api", "platform/open311/api")
BUILDERS = {"select", "insert", "update", "delete"}
RUNNERS = {"execute", "scalars", "scalar"}


def queries_in(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in BUILDERS:
            found.append(f"line {node.lineno}: {func.id}()")
        elif isinstance(func, ast.Attribute) and func.attr in RUNNERS:
            found.append(f"line {node.lineno}: .{func.attr}()")
    return found


def test_routes_and_views_leave_queries_to_the_services() -> None:
    found = []
    for layer in LAYERS:
        for path in sorted((REPO / layer).rglob("*.py")):
            rel = path.relative_to(REPO).as_posix()
            found += [f"{rel} {q}" for q in queries_in(path.read_text(encoding="utf-8"))]
    assert found == [], "\n".join(found)


def test_the_checker_sees_a_query_built_in_a_handler() -> None:
    source = (
        "def handler(session):\n"
        "    return session.scalars(select(Case).where(Case.id == 1)).first()\n"
    )
    assert queries_in(source) == ["line 2: .scalars()", "line 2: select()"]
