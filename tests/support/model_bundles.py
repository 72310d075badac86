"""Model bundles for rollout tests: a small ONNX detector (any classes, fixed boxes) and its
manifest, as ``streetorder models export`` writes them; optionally slow on purpose."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from streetorder.contracts.model_bundle import MANIFEST_FILE, MODEL_FILE

#: One box of "goods" in the middle of the picture, as (cx, cy, w, h, class, score) input pixels.
GOODS_IN_THE_MIDDLE = [(32.0, 32.0, 16.0, 16.0, "goods", 0.9)]


def detector_bytes(
    names: list[str],
    anchors: list[tuple[float, float, float, float, str, float]],
    size: int = 64,
    busy: int = 0,
    foreign_op: bool = False,
) -> bytes:
    """A raw-head detect model whose output is ``anchors`` whatever the picture; ``busy`` chains
    that many 384×384 matrix products on the input's mean (ORT cannot fold them away);
    ``foreign_op``: valid ONNX whose last operator onnxruntime does not have (it fails to load,
    like a model exported for another accelerator)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    out = np.zeros((1, 4 + len(names), len(anchors)), np.float32)
    for i, (cx, cy, w, h, name, score) in enumerate(anchors):
        out[0, :4, i] = (cx, cy, w, h)
        out[0, 4 + names.index(name), i] = score
    inits = [numpy_helper.from_array(out, "head"), numpy_helper.from_array(np.float32(0), "zero")]
    nodes = [helper.make_node("ReduceMean", ["images"], ["mean"], keepdims=0)]
    last = "mean"
    if busy:
        rng = np.random.default_rng(0)
        inits.append(numpy_helper.from_array(rng.random((384, 384), np.float32) / 384, "w"))
        nodes.append(helper.make_node("Mul", ["mean", "w"], ["m0"]))
        for i in range(busy):
            nodes.append(helper.make_node("MatMul", [f"m{i}", "w"], [f"m{i + 1}"]))
        nodes.append(helper.make_node("ReduceSum", [f"m{busy}"], ["busy"], keepdims=0))
        last = "busy"
    nodes += [
        helper.make_node("Mul", [last, "zero"], ["nothing"]),
        helper.make_node("Add", ["head", "nothing"], ["output0"]),
    ]
    opsets = [helper.make_opsetid("", 17)]
    if foreign_op:
        nodes[-1].op_type, nodes[-1].domain = "FusedDetectHead", "com.example.accel"
        opsets.append(helper.make_opsetid("com.example.accel", 1))
    graph = helper.make_graph(
        nodes, "bundle",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(out.shape))],
        inits,
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=opsets)
    model.ir_version = 8
    helper.set_model_props(
        model,
        {
            "names": repr(dict(enumerate(names))),
            "imgsz": repr([size, size]),
            "stride": "32",
            "task": "detect",
        },  # fmt: skip
    )
    onnx.checker.check_model(model)
    return model.SerializeToString()


def manifest_for(data: bytes, names: list[str], version: str, size: int = 64, **extra) -> dict:
    return {
        "name": "streetorder-det", "version": version, "file": MODEL_FILE,
        "sha256": hashlib.sha256(data).hexdigest(), "size_bytes": len(data), "classes": names,
        "imgsz": size, "format": "onnx", "task": "detect", **extra,
    }  # fmt: skip


def write_bundle(folder: Path, data: bytes, manifest: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MODEL_FILE).write_bytes(data)
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return folder
