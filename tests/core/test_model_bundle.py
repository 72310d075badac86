"""The model-bundle contract: stdlib-only, clear errors, and a committed model that matches."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from streetorder.contracts.model_bundle import (
    bundled_manifest_path,
    bundled_model_path,
    read_manifest,
)
from streetorder.errors import StreetorderError
from streetorder.models.export import sha256_file
from streetorder.vocabulary import CLASS_NAMES

REPO_ROOT = Path(__file__).resolve().parents[2]

GOOD = {"name": "m", "version": "1", "sha256": "ab", "classes": ["goods"], "imgsz": 320}


def test_importing_the_helpers_loads_no_heavy_modules() -> None:
    code = (
        "import sys; import streetorder.contracts.model_bundle as b; b.bundled_model_path(); "
        "print(sorted(m for m in ('numpy', 'cv2', 'torch', 'ultralytics', 'onnxruntime', "
        "'streetorder.models') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_bundled_path_is_inside_models_bootstrap() -> None:
    path = bundled_model_path()
    assert path.name == "streetorder-det.onnx" and path.parent.name == "bootstrap"
    assert bundled_manifest_path().parent == path.parent


def test_read_manifest_accepts_a_complete_manifest(tmp_path: Path) -> None:
    p = tmp_path / "manifest.json"
    p.write_text(json.dumps(GOOD))
    assert read_manifest(p) == GOOD


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "cannot read"),
        ("[1, 2]", "JSON object"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "sha256"}), "lacks sha256"),
        (json.dumps({**GOOD, "classes": "goods"}), "classes"),
        (json.dumps({**GOOD, "imgsz": -3}), "imgsz"),
    ],
)
def test_read_manifest_names_the_file_and_the_problem(
    tmp_path: Path, content: str, reason: str
) -> None:
    p = tmp_path / "manifest.json"
    p.write_text(content)
    with pytest.raises(StreetorderError, match=reason) as err:
        read_manifest(p)
    assert str(p) in str(err.value)
    with pytest.raises(StreetorderError, match="not found"):
        read_manifest(tmp_path / "missing.json")


def test_committed_bundle_matches_its_manifest() -> None:
    path = bundled_model_path()
    if not path.is_file():
        pytest.skip("no bundled model committed yet")
    manifest = read_manifest(bundled_manifest_path())
    assert manifest["sha256"] == sha256_file(path)
    assert manifest["size_bytes"] == path.stat().st_size <= 12 * 1024 * 1024
    assert manifest["classes"] == list(CLASS_NAMES)
    assert manifest["data"]["generator_version"]
    training = manifest["training"]
    chain = training.get("chain")
    if chain is None:  # one training run
        assert training["command"].startswith("streetorder models train")
        return
    # a stage of the recorded training chain: its committed checkpoint is the bundled .pt
    assert training["command"].startswith("streetorder models chain reproduce --through ")
    assert training["command"].split()[5] == chain["stage"]
    checkpoint = REPO_ROOT / chain["checkpoint"]
    assert sha256_file(checkpoint) == chain["checkpoint_sha256"]
    assert sha256_file(path.with_suffix(".pt")) == chain["checkpoint_sha256"]
    record = json.loads((REPO_ROOT / "models/chain/stages" / f"{chain['stage']}.json").read_text())
    assert record["status"] == "done"
    assert record["checkpoint"]["sha256"] == chain["checkpoint_sha256"]


def test_committed_model_carries_names_and_size_in_its_metadata() -> None:
    path = bundled_model_path()
    if not path.is_file():
        pytest.skip("no bundled model committed yet")
    pytest.importorskip("onnxruntime")
    from streetorder.models.export import check_onnx, input_shape

    manifest = read_manifest(bundled_manifest_path())
    shape = input_shape(manifest["imgsz"])
    info = check_onnx(path, shape)
    assert info["input_shape"] == [1, 3, *shape]
