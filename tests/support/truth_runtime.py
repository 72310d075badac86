"""A node runtime whose detector is the scenario's ground truth (``replay --truth-boxes`` for
``edge run``): everything but the model is real, so tests and benchmarks can drive whole nodes
on the generator's videos before a trained model exists. Test support, not part of the edge."""

from __future__ import annotations

import json
from pathlib import Path

from streetorder.edge.config import EdgeNodeConfig
from streetorder.edge.episode_id import FootageKey, random_episode_key
from streetorder.edge.pipeline import CameraPipeline
from streetorder.edge.replay.oracle import TruthBoxDetector
from streetorder.edge.runtime.base import Runtime
from streetorder.edge.runtime.storage import evidence_dir
from streetorder.edge.sources import open_source, source_kind
from streetorder.vocabulary import CLASS_NAMES


class TruthTimedPipeline:
    """Tells the truth-box detector which video second the node's frame time stands for."""

    def __init__(self, pipeline: CameraPipeline, detector: TruthBoxDetector) -> None:
        self.pipeline, self.detector = pipeline, detector
        self.base: float | None = None

    @property
    def last_detections(self):
        return self.pipeline.last_detections

    def process(self, frame, at: float):
        if self.base is None:
            self.base = at  # the first frame is second 0 of the file (on the file's anchor)
        self.detector.set_time(round(at - self.base, 2))
        return self.pipeline.process(frame, at)

    def flush(self):
        return self.pipeline.flush()

    def attach_store(self, store) -> None:
        self.pipeline.attach_store(store)


def truth_runtime(truth: Path):
    frames = json.loads(truth.read_text())["frames"]

    def factory(config: EdgeNodeConfig, base_dir: Path) -> Runtime:
        detector = TruthBoxDetector(frames, seed=0, jitter_px=1.0, scores=(0.6, 0.95))
        out = evidence_dir(config, base_dir)

        def make_pipeline(camera):
            # as the default runtime: a file's episodes keep their ids across restarts
            source = open_source(camera, base_dir)
            footage = source_kind(camera.source) == "file"
            pipeline = CameraPipeline(
                config.node_id,
                camera,
                detector,
                out,
                config.timezone,
                clip_before=config.storage.clip_seconds_before,
                clip_after=config.storage.clip_seconds_after,
                episode_keys=FootageKey(source.source) if footage else random_episode_key,
            )
            return TruthTimedPipeline(pipeline, detector)

        return Runtime(
            open_source=lambda camera: open_source(camera, base_dir),
            make_pipeline=make_pipeline,
            model=detector.info,
            evidence_path=lambda alert, name: out / name,
            class_names=CLASS_NAMES,
        )

    return factory
