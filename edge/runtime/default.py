"""The production runtime: PyAV sources, ONNX detectors shared by the cameras that run the same
model version (``runtime/models.py``), a CameraPipeline per camera."""

from __future__ import annotations

import os
from pathlib import Path

from streetorder.contracts import CameraConfig
from streetorder.edge.config import EdgeNodeConfig
from streetorder.edge.runtime.base import Runtime
from streetorder.edge.runtime.model_fetch import ModelFiles
from streetorder.edge.runtime.models import Loaded, ModelSwitch
from streetorder.edge.runtime.storage import evidence_dir, storage_dir
from streetorder.errors import StreetorderError


def default_runtime(config: EdgeNodeConfig, base_dir: Path):
    from streetorder.edge.detect import OnnxDetector
    from streetorder.edge.episode_id import FootageKey, random_episode_key
    from streetorder.edge.runtime.keyframes import DecoderPool, KeyframeSource
    from streetorder.edge.sources import open_source, source_kind

    try:
        from streetorder.edge.pipeline import CameraPipeline
    except ImportError as exc:
        raise StreetorderError(f"the edge analysis pipeline is not available: {exc}") from None
    own = OnnxDetector.from_settings(config.model, base_dir)
    switch = ModelSwitch(
        Loaded(own, own.info),
        lambda path: OnnxDetector.from_settings(config.model, base_dir, path=path),
        ModelFiles(
            storage_dir(config, base_dir) / "models",
            config.platform.url,
            config.platform.token,
            timeout=config.platform.upload_timeout_seconds,
        ),
        config.model.latency_budget_ms,
    )
    out = evidence_dir(config, base_dir)
    storage = config.storage

    def make_pipeline(camera: CameraConfig) -> CameraPipeline:
        # a file replays the same episodes on its stable clock (runtime.anchors): the same ids;
        # a live camera's episodes get random keys, kept in the episode store
        footage = file_path(camera)
        return CameraPipeline(
            config.node_id,
            camera,
            switch.detector_for(camera.id),
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
        model=own.info,
        evidence_path=lambda alert, filename: out / filename,
        class_names=tuple(own.names),
        model_classes=tuple(own.model_names),
        models=switch,
    )
