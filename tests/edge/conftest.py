"""Edge test fixtures: small YOLO11n ONNX exports made locally (no download), synthetic frames."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from streetorder.vocabulary import CLASS_NAMES

ExportFn = Callable[..., Path]


def _export(out: Path, *, imgsz: int, nms: bool, dynamic: bool) -> Path:
    """A YOLO11n with our 7 classes, seeded weights made loud enough to give boxes."""
    os.environ.setdefault("YOLO_OFFLINE", "1")
    torch = pytest.importorskip("torch")
    pytest.importorskip("ultralytics")
    import ultralytics
    import yaml
    from ultralytics import YOLO

    cfg = yaml.safe_load(
        (Path(ultralytics.__file__).parent / "cfg/models/11/yolo11.yaml").read_text()
    )
    cfg.update(nc=len(CLASS_NAMES), scale="n")
    name = f"so-yolo11n-{imgsz}-{'nms' if nms else 'raw'}-{'dyn' if dynamic else 'static'}"
    cfg_path = out / f"{name}.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg))
    torch.manual_seed(0)
    model = YOLO(str(cfg_path))
    model.model.names = dict(enumerate(CLASS_NAMES))
    with torch.no_grad():
        for module in model.model.modules():
            if isinstance(module, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(module.weight)
        head = model.model.model[-1]
        for seq in head.cv3:  # class scores: spread out so some pass 0.25
            seq[-1].bias.fill_(-3.0)
            seq[-1].weight.mul_(300)
        for seq in head.cv2:  # box distances: bias towards larger boxes
            seq[-1].weight.mul_(30)
            seq[-1].bias.copy_(torch.arange(16.0).repeat(4) * 0.4)
    exported = Path(
        model.export(format="onnx", imgsz=imgsz, simplify=False, nms=nms, dynamic=dynamic)
    )
    target = out / f"{name}.onnx"
    exported.replace(target)
    return target


@pytest.fixture(scope="session")
def export_yolo(tmp_path_factory: pytest.TempPathFactory) -> ExportFn:
    """``export_yolo(imgsz=320, nms=False, dynamic=False)`` → path of a cached ONNX export."""
    cache: dict[tuple[int, bool, bool], Path] = {}
    out = tmp_path_factory.mktemp("onnx")

    def make(imgsz: int = 320, nms: bool = False, dynamic: bool = False) -> Path:
        key = (imgsz, nms, dynamic)
        if key not in cache:
            cwd = os.getcwd()
            os.chdir(out)  # ultralytics writes side files next to the working directory
            try:
                cache[key] = _export(out, imgsz=imgsz, nms=nms, dynamic=dynamic)
            finally:
                os.chdir(cwd)
        return cache[key]

    return make


def synthetic_scene(width: int = 1280, height: int = 720, seed: int = 0, n: int = 8) -> np.ndarray:
    """A street-like BGR frame with ``n`` coloured blocks on a grey road."""
    import cv2

    rng = np.random.default_rng(seed)
    frame = np.full((height, width, 3), 90, np.uint8)
    frame[: height // 3] = (160, 150, 140)
    for _ in range(n):
        w, h = (
            int(rng.integers(width // 20, width // 6)),
            int(rng.integers(height // 20, height // 5)),
        )
        x, y = int(rng.integers(0, width - w)), int(rng.integers(0, height - h))
        color = tuple(int(c) for c in rng.integers(0, 255, 3))
        cv2.rectangle(frame, (x, y), (x + w, y + h), color, -1)
    return frame
