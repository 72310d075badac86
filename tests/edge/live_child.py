"""``edge run`` on a scenario video played as a *live* camera, truth boxes standing in for the
model: ``python -m tests.edge.live_child NODE_YAML TRUTH_JSON LIVE_T0``.

A camera source ``live:///path/video.mp4`` is a stream (not a file), so the worker puts its
frames on the wall clock from the moment it connects, as for RTSP. The video's second ``v`` is
"live" at wall time ``LIVE_T0 + v``: a node started (or restarted) later joins the stream at the
present, like a real camera, and frames are delivered in real time. SIGTERM/SIGINT stop cleanly.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from streetorder.contracts import CameraConfig
from streetorder.edge.config import EdgeNodeConfig, load_edge_config
from streetorder.edge.node import EdgeNode, Runtime
from streetorder.edge.pipeline import CameraPipeline
from streetorder.edge.replay.oracle import TruthBoxDetector
from streetorder.edge.sources import AvSource
from streetorder.vocabulary import CLASS_NAMES


class LiveReplay:
    def __init__(self, camera: CameraConfig, detector: TruthBoxDetector, t0: float) -> None:
        self.path = camera.source.removeprefix("live://")
        self.interval = camera.analysis_interval_seconds
        self.detector, self.t0 = detector, t0
        self.source: AvSource | None = None

    def frames(self) -> Iterator[tuple[float, np.ndarray]]:
        self.source = AvSource(self.path, interval=self.interval, name="live")
        start = time.time()  # the worker anchors the stream's seconds at about this moment
        for v, image in self.source.frames():
            if self.t0 + v < start:
                continue  # the stream is live: what happened before we connected is gone
            time.sleep(max(0.0, self.t0 + v - time.time()))
            self.detector.set_time(round(v, 2))  # the worker analyses this frame next
            yield self.t0 + v - start, image

    def close(self) -> None:
        if self.source is not None:
            self.source.close()


def live_runtime(truth: Path, t0: float):
    frames = json.loads(truth.read_text())["frames"]

    def factory(config: EdgeNodeConfig, base_dir: Path) -> Runtime:
        detector = TruthBoxDetector(frames, seed=0, jitter_px=1.0, scores=(0.6, 0.95))
        out = config.storage.dir / "evidence"

        def make_pipeline(camera: CameraConfig) -> CameraPipeline:
            return CameraPipeline(
                config.node_id,
                camera,
                detector,
                out,
                config.timezone,
                clip_before=config.storage.clip_seconds_before,
                clip_after=config.storage.clip_seconds_after,
            )

        return Runtime(
            open_source=lambda camera: LiveReplay(camera, detector, t0),
            make_pipeline=make_pipeline,
            model=detector.info,
            evidence_path=lambda alert, name: out / name,
            class_names=CLASS_NAMES,
        )

    return factory


def main() -> None:
    cfg, truth, t0 = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
    config = load_edge_config(cfg)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    EdgeNode(config, base_dir=cfg.parent, runtime=live_runtime(truth, t0), stop=stop).run()


if __name__ == "__main__":
    main()
