"""The JSON Schemas in docs/schemas are generated from the contracts and must not drift."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _render() -> dict[str, str]:
    spec = importlib.util.spec_from_file_location(
        "gen_schemas", REPO / "scripts" / "gen_schemas.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.render_schemas()


def test_schema_files_match_the_code() -> None:
    rendered = _render()
    on_disk = {
        p.name: p.read_text(encoding="utf-8") for p in (REPO / "docs/schemas").glob("*.json")
    }
    assert set(on_disk) == set(rendered), "run: python scripts/gen_schemas.py"
    stale = [name for name, text in rendered.items() if on_disk[name] != text]
    assert not stale, f"schemas out of date: {stale}; run: python scripts/gen_schemas.py"


def test_every_message_schema_pins_kind_and_version() -> None:
    import json

    for name, text in _render().items():
        if name.startswith("edge_node_config"):
            continue
        schema = json.loads(text)
        assert schema["properties"]["v"]["const"] == 1, name
        assert "const" in schema["properties"]["kind"], name
