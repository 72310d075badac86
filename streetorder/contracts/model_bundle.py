"""The model bundle, a contract between the models part and the edge (stdlib only).

``streetorder models export`` writes an ONNX detector and a JSON manifest beside it; the edge
loads the detector and reads the manifest (name, version, classes, input size). With no model
configured the edge uses the bundled one, in the ``bootstrap/`` folder of ``streetorder.models``,
found without importing that package's code. Nothing here pulls in torch, OpenCV or numpy.
"""

from __future__ import annotations

import json
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from streetorder.errors import StreetorderError

MODEL_FILE = "streetorder-det.onnx"
MANIFEST_FILE = "manifest.json"
BUNDLE_PACKAGE = "streetorder.models"
BUNDLE_FOLDER = "bootstrap"

#: Keys every manifest carries (``models export`` writes them).
REQUIRED_KEYS = ("name", "version", "sha256", "classes", "imgsz")


def bundled_dir() -> Path:
    """The folder of the committed bootstrap model (``models/bootstrap``)."""
    spec = find_spec(BUNDLE_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise StreetorderError(
            f"no model given and the bundled model ({BUNDLE_PACKAGE}) is not installed"
        )
    return Path(next(iter(spec.submodule_search_locations))) / BUNDLE_FOLDER


def bundled_model_path() -> Path:
    """The committed bootstrap ONNX model (``models/bootstrap/streetorder-det.onnx``)."""
    return bundled_dir() / MODEL_FILE


def bundled_manifest_path() -> Path:
    return bundled_dir() / MANIFEST_FILE


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
    return check_manifest(data, str(path))


class ManifestError(StreetorderError):
    """A malformed manifest: the message names the file; ``code`` and ``values`` let a reader
    in another language be told the same (the console's upload error, in Chinese)."""

    def __init__(self, source: str, code: str, message: str, **values: str) -> None:
        super().__init__(f"{source}: {message}")
        self.code, self.values = code, values


def check_manifest(data: Any, source: str) -> dict[str, Any]:
    """Check a parsed manifest; ``source`` (a file or upload name) starts every error."""
    path = source
    if not isinstance(data, dict):
        raise ManifestError(path, "not_object", "a model manifest must be a JSON object")
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing:
        keys = ", ".join(missing)
        raise ManifestError(path, "lacks", f"model manifest lacks {keys}", keys=keys)
    classes = data["classes"]
    if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
        raise ManifestError(path, "classes", "'classes' must be a list of class names")
    imgsz = data["imgsz"]
    if not (isinstance(imgsz, int) and imgsz > 0) and not (
        isinstance(imgsz, list) and len(imgsz) == 2 and all(isinstance(v, int) for v in imgsz)
    ):
        raise ManifestError(path, "imgsz", "'imgsz' must be a positive integer or [height, width]")
    return data
