"""Small ONNX detectors built in the test: any class names, a fixed raw Ultralytics-style output.

The graph ignores the image (its output is a constant plus 0 × the image mean), so what the
detector sees is exactly ``anchors``: each (cx, cy, w, h, class name, score) in input pixels.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def tiny_detector(
    path: Path,
    names: list[str],
    anchors: list[tuple[float, float, float, float, str, float]],
    size: int = 64,
) -> Path:
    """Write a raw-head detect model with metadata ``names`` (as Ultralytics exports do)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    out = np.zeros((1, 4 + len(names), len(anchors)), np.float32)
    for i, (cx, cy, w, h, name, score) in enumerate(anchors):
        out[0, :4, i] = (cx, cy, w, h)
        out[0, 4 + names.index(name), i] = score
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["mean"], keepdims=0),
        helper.make_node("Mul", ["mean", "zero"], ["nothing"]),
        helper.make_node("Add", ["head", "nothing"], ["output0"]),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(out.shape))],
        [numpy_helper.from_array(out, "head"), numpy_helper.from_array(np.float32(0), "zero")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    metadata = {
        "names": repr(dict(enumerate(names))),
        "imgsz": repr([size, size]),
        "stride": "32",
        "task": "detect",
    }
    helper.set_model_props(model, metadata)
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path
