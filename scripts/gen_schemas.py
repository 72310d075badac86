"""Write the JSON Schema of every cross-process message into docs/schemas/.

Run after changing ``streetorder.contracts``; ``tests/core/test_schemas.py`` fails when the
files and the code disagree.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "docs" / "schemas"


def render_schemas() -> dict[str, str]:
    """File name → JSON text for every message type (and the edge node config)."""
    from streetorder.contracts.messages import MESSAGE_TYPES
    from streetorder.edge.config import EdgeNodeConfig

    out: dict[str, str] = {}
    for model in (*MESSAGE_TYPES, EdgeNodeConfig):
        kind_field = model.model_fields.get("kind")
        name = kind_field.default if kind_field else "edge_node_config"
        schema = model.model_json_schema(mode="serialization")
        schema["$id"] = f"https://streetorder.example/schemas/v1/{name}.json"
        out[f"{name}.v1.json"] = (
            json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        )
    return out


def main() -> int:
    SCHEMA_DIR.mkdir(parents=True, exist_ok=True)
    rendered = render_schemas()
    for stale in SCHEMA_DIR.glob("*.json"):
        if stale.name not in rendered:
            stale.unlink()
    for name, text in rendered.items():
        (SCHEMA_DIR / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(rendered)} schemas to {SCHEMA_DIR}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
