"""Where the bundled bootstrap detector lives and how to read its manifest (stdlib only).

The edge imports this module, so it must never pull in torch, ultralytics or OpenCV.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from streetorder.errors import StreetorderError

BOOTSTRAP_DIR = Path(__file__).resolve().parent / "bootstrap"
MODEL_FILE = "streetorder-det.onnx"
MANIFEST_FILE = "manifest.json"

#: Keys every manifest carries (``models export`` writes them).
REQUIRED_KEYS = ("name", "version", "sha256", "classes", "imgsz")


def bundled_model_path() -> Path:
    """The committed bootstrap ONNX model (``models/bootstrap/streetorder-det.onnx``)."""
    return BOOTSTRAP_DIR / MODEL_FILE


def bundled_manifest_path() -> Path:
    return BOOTSTRAP_DIR / MANIFEST_FILE


def read_manifest(path: str | Path | None = None) -> dict[str, Any]:
    """Read and check a model manifest (default: the bundled one).

    Raises ``StreetorderError`` naming the file and the problem when it is missing or malformed.
    """
    path = Path(path) if path is not None else bundled_manifest_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StreetorderError(f"{path}: model manifest not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StreetorderError(f"{path}: cannot read the model manifest: {exc}") from None
    if not isinstance(data, dict):
        raise StreetorderError(f"{path}: a model manifest must be a JSON object")
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing:
        raise StreetorderError(f"{path}: model manifest lacks {', '.join(missing)}")
    classes = data["classes"]
    if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
        raise StreetorderError(f"{path}: 'classes' must be a list of class names")
    imgsz = data["imgsz"]
    if not (isinstance(imgsz, int) and imgsz > 0) and not (
        isinstance(imgsz, list) and len(imgsz) == 2 and all(isinstance(v, int) for v in imgsz)
    ):
        raise StreetorderError(f"{path}: 'imgsz' must be a positive integer or [height, width]")
    return data
