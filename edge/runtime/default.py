"""The production runtime: PyAV sources, one shared ONNX detector, a CameraPipeline per camera."""

from __future__ import annotations

import inspect
import threading
from pathlib import Path
from typing import Any

from streetorder.contracts import Alert, CameraConfig
from streetorder.edge.config import EdgeNodeConfig
from streetorder.errors import StreetorderError


class SharedDetector:
    """One ONNX session for every camera; calls are serialised (two cores: no oversubscription).

    Everything but ``__call__`` is passed through to the wrapped detector.
    """

    def __init__(self, detector: Any) -> None:
        self._detector = detector
        self._lock = threading.Lock()

    def __call__(self, frame):
        with self._lock:
            return self._detector(frame)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._detector, name)


def evidence_dir(config: EdgeNodeConfig, base_dir: Path) -> Path:
    storage = (
        config.storage.dir if config.storage.dir.is_absolute() else base_dir / config.storage.dir
    )
    return storage / "evidence"


def default_runtime(config: EdgeNodeConfig, base_dir: Path):
    from streetorder.edge.detect import OnnxDetector
    from streetorder.edge.node import Runtime
    from streetorder.edge.sources import open_source

    try:
        from streetorder.edge.pipeline import CameraPipeline
    except ImportError as exc:
        raise StreetorderError(f"the edge analysis pipeline is not available: {exc}") from None
    model_path = config.model.path
    if model_path is not None and not model_path.is_absolute():
        model_path = base_dir / model_path
    detector = SharedDetector(
        OnnxDetector(
            model_path,
            threads=config.model.threads,
            score_threshold=config.model.score_threshold,
            iou_threshold=config.model.iou_threshold,
        )
    )
    out = evidence_dir(config, base_dir)

    def make_pipeline(camera: CameraConfig):
        return _build_pipeline(CameraPipeline, camera, config, detector, out)

    def evidence_path(alert: Alert, filename: str) -> Path:
        nested = out / alert.alert_id / filename
        return nested if nested.exists() else out / filename

    return Runtime(
        open_source=lambda camera: open_source(camera, base_dir),
        make_pipeline=make_pipeline,
        model=detector.info,
        evidence_path=evidence_path,
        class_names=tuple(detector.names),
    )


def _build_pipeline(cls, camera: CameraConfig, config: EdgeNodeConfig, detector, out: Path):
    """Pass the pipeline the arguments it asks for, by name."""
    available = {
        "camera": camera,
        "node_id": config.node_id,
        "detector": detector,
        "config": config,
        "node_config": config,
        "evidence_dir": out,
        "timezone": config.timezone,
        "storage": config.storage,
        "model": detector.info,
        "model_info": detector.info,
    }
    params = inspect.signature(cls).parameters
    kwargs = {name: available[name] for name in params if name in available}
    return cls(**kwargs)
