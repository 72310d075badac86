"""The parts import each other only in the allowed directions (read from the source with ast).

- the platform never imports the officer app, the edge, the models or the server;
- the officer app works on the platform's domain, never on the edge, the models or the server;
- the edge and the platform never import each other; the edge reads no training code;
- the models read the platform only through its HTTP API;
- the shared core (contracts, config, vocabulary...) imports no part; only the server (the
  composition root) and the demo put parts together.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PARTS = ("edge", "platform", "mobile_api", "models", "server", "demo")

#: folder (relative to the checkout) → the parts its modules must not import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "platform": ("mobile_api", "server", "edge", "models", "demo"),
    "mobile_api": ("server", "edge", "models", "demo"),
    "edge": ("platform", "mobile_api", "server", "models", "demo"),
    "models": ("platform", "mobile_api", "server", "demo"),
    "streetorder/server": ("edge", "models", "demo"),
    "streetorder/contracts": PARTS,
    "streetorder/config": PARTS,
    "streetorder/i18n": PARTS,
}
CORE_MODULES = ("errors.py", "mqtt.py", "vocabulary.py", "__init__.py", "__main__.py", "cli.py")


def module_name(path: Path) -> str:
    """``platform/api/app.py`` → ``streetorder.platform.api.app``."""
    rel = path.relative_to(REPO).with_suffix("")
    parts = list(rel.parts)
    if parts[0] != "streetorder":
        parts.insert(0, "streetorder")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, is_package: bool) -> set[str]:
    """Every module named by an import statement, wherever it sits (functions included)."""
    out: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            out.add(target)
            out.update(f"{target}.{alias.name}" for alias in node.names)
    return out


def violations(path: Path, forbidden: tuple[str, ...]) -> list[str]:
    module = module_name(path)
    names = imported_modules(path.read_text(encoding="utf-8"), module, path.name == "__init__.py")
    bad: list[str] = []
    for name in sorted(names):
        if any(name.startswith(seen + ".") for seen in bad):
            continue  # ``from a.b import c`` is reported once, as ``a.b``
        for part in forbidden:
            prefix = f"streetorder.{part}"
            if name == prefix or name.startswith(prefix + "."):
                bad.append(name)
                break
    rel = path.relative_to(REPO).as_posix()
    return [f"{rel} imports {name}" for name in bad]


def sources(folder: str) -> list[Path]:
    return sorted(p for p in (REPO / folder).rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_part_imports_stay_inside_its_boundary(folder: str) -> None:
    files = sources(folder)
    assert files, f"{folder} has no Python files"
    found = [line for path in files for line in violations(path, FORBIDDEN[folder])]
    assert found == [], "\n".join(found)


def test_core_modules_import_no_part() -> None:
    found = []
    for name in CORE_MODULES:
        found += violations(REPO / "streetorder" / name, PARTS)
    assert found == [], "\n".join(found)


def test_the_node_runtimes_do_not_import_the_node() -> None:
    """``edge/node.py`` imports its runtimes; they import ``edge/runtime/base.py``, not the node."""
    found = [line for path in sources("edge/runtime") for line in violations(path, ("edge.node",))]
    assert found == [], "\n".join(found)


def test_the_checker_sees_imports_inside_functions_and_relative_ones(tmp_path: Path) -> None:
    source = (
        "import os\n"
        "def later():\n"
        "    from streetorder.mobile_api.jobs import run_scheduler\n"
        "from ..services import cases\n"
    )
    names = imported_modules(source, "streetorder.platform.api.app", is_package=False)
    assert "streetorder.mobile_api.jobs" in names
    assert "streetorder.platform.services.cases" in names
