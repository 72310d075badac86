"""CI-sized end-to-end run of the model pipeline: synth -> train -> export -> eval.

A few generated images, one epoch at a tiny input size: it proves the commands fit together
(offline, ONNX metadata, manifest, held-out evaluation), not that the model is any good.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from streetorder.models.bundle import read_manifest
from streetorder.vocabulary import CLASS_NAMES

pytest.importorskip("ultralytics")
ort = pytest.importorskip("onnxruntime")

pytestmark = [pytest.mark.train, pytest.mark.slow]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> dict[str, Path]:
    from streetorder.models.export import export_onnx, sha256_file
    from streetorder.models.synth.dataset import write_dataset
    from streetorder.models.training import train

    root = tmp_path_factory.mktemp("smoke-train")
    data = write_dataset(
        root / "data",
        seed=7,
        counts={"train": 8, "val": 4, "test": 4},
        width=320,
        height=180,
        workers=1,
        progress=False,
    )
    weights = train(
        data=data,
        extra_data=[],
        imgsz=64,
        epochs=1,
        batch=4,
        workers=0,
        seed=7,
        project=root / "runs",
        name="smoke",
        close_mosaic=0,
    )
    bundle = root / "bundle"
    manifest = export_onnx(weights, out_dir=bundle, data_dir=root / "data", version="smoke-1")
    return {
        "data": data,
        "weights": weights,
        "bundle": bundle,
        "root": root,
        "sha": sha256_file(Path(manifest["path"])),
    }


def test_training_writes_resumable_checkpoints(tiny_run):
    weights_dir = tiny_run["weights"].parent
    assert (weights_dir / "last.pt").is_file()
    assert tiny_run["weights"].is_file()


def test_export_writes_onnx_with_vocabulary_and_manifest(tiny_run):
    onnx_path = tiny_run["bundle"] / "streetorder-det.onnx"
    manifest = read_manifest(tiny_run["bundle"] / "manifest.json")
    assert manifest["sha256"] == tiny_run["sha"]
    assert manifest["classes"] == list(CLASS_NAMES)
    assert manifest["imgsz"] == 64
    assert manifest["version"] == "smoke-1"
    assert manifest["training"]["seed"] == 7
    assert manifest["training"]["pretrained"] is False
    assert manifest["data"]["seed"] == 7
    assert manifest["data"]["generator_version"]
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    meta = sess.get_modelmeta().custom_metadata_map
    names = ast.literal_eval(meta["names"])
    assert [names[k] for k in sorted(names)] == list(CLASS_NAMES)
    assert ast.literal_eval(meta["imgsz"]) == [64, 64]
    assert sess.get_inputs()[0].shape == [1, 3, 64, 64]


def test_eval_reports_every_class_and_latency(tiny_run):
    from streetorder.models.evaluate import evaluate

    out = tiny_run["root"] / "eval"
    report = evaluate(
        tiny_run["bundle"] / "streetorder-det.onnx",
        tiny_run["data"],
        "test",
        out,
        threads=2,
        runs=5,
        batch=4,
    )
    saved = json.loads((out / "eval.json").read_text())
    assert saved["split"] == "test"
    assert set(saved["per_class"]) == set(CLASS_NAMES)
    labelled = 0
    for row in saved["per_class"].values():
        if row["instances"] == 0:  # a class absent from the split has no metric, not a zero
            assert row["mAP50"] is None
            continue
        labelled += 1
        assert 0.0 <= row["mAP50-95"] <= row["mAP50"] <= 1.0
    assert labelled >= 3  # four generated street scenes hold several classes
    assert 0.0 <= saved["overall"]["mAP50"] <= 1.0
    assert report["latency_ms"]["runs"] == 5 and report["latency_ms"]["median"] > 0
    assert (out / "eval.png").stat().st_size > 1000
