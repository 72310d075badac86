"""The production runtime: PyAV sources, one shared ONNX detector, a CameraPipeline per camera."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from streetorder.contracts import CameraConfig
from streetorder.edge.config import EdgeNodeConfig
from streetorder.edge.runtime.base import Runtime
from streetorder.edge.runtime.storage import evidence_dir
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


def default_runtime(config: EdgeNodeConfig, base_dir: Path):
    from streetorder.edge.detect import OnnxDetector
    from streetorder.edge.episode_id import FootageKey, random_episode_key
    from streetorder.edge.runtime.keyframes import DecoderPool, KeyframeSource
    from streetorder.edge.sources import open_source, source_kind

    try:
        from streetorder.edge.pipeline import CameraPipeline
    except ImportError as exc:
        raise StreetorderError(f"the edge analysis pipeline is not available: {exc}") from None
    detector = SharedDetector(OnnxDetector.from_settings(config.model, base_dir))
    out = evidence_dir(config, base_dir)
    storage = config.storage

    def make_pipeline(camera: CameraConfig) -> CameraPipeline:
        # a file replays the same episodes on its stable clock (runtime.anchors): the same ids;
        # a live camera's episodes get random keys, kept in the episode store
        footage = file_path(camera)
        return CameraPipeline(
            config.node_id,
            camera,
            detector,
            out,
            config.timezone,
            clip_before=storage.clip_seconds_before,
            clip_after=storage.clip_seconds_after,
            episode_keys=FootageKey(footage) if footage else random_episode_key,
            base_dir=base_dir,
        )

    def file_path(camera: CameraConfig) -> Path | None:
        source = open_source(camera, base_dir)
        return Path(source.source) if source_kind(camera.source) == "file" else None

    pool = DecoderPool(size=max(1, (os.cpu_count() or 2) // 2))  # one lane per two cores

    def source_for(camera: CameraConfig):
        source = open_source(camera, base_dir, read_timeout=config.camera_health.read_timeout)
        if camera.keyframes_only:  # decoders shared across cameras: memory flat in N
            return KeyframeSource(
                source.source,
                interval=source.interval,
                name=source.name,
                pool=pool,
                read_timeout=source.read_timeout,
            )
        return source

    return Runtime(
        open_source=source_for,
        make_pipeline=make_pipeline,
        model=detector.info,
        evidence_path=lambda alert, filename: out / filename,
        class_names=tuple(detector.names),
        model_classes=tuple(detector.model_names),
    )
