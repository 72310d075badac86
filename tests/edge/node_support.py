"""A scripted runtime for node tests: cameras whose behaviour is set by their source URL.

``test://good`` yields frames forever; ``test://broken`` fails to open; ``test://flaky``
drops after a few frames every time. The pipeline emits one alert every ``alert_every``
frames, with stable ids, like the real pipeline.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from streetorder.contracts import Alert, CameraConfig, ModelInfo
from streetorder.edge.config import EdgeNodeConfig
from streetorder.edge.node import Runtime
from streetorder.errors import StreetorderError
from streetorder.vocabulary import CLASS_NAMES
from tests.edge.mqtt_support import make_alert

MODEL = ModelInfo(name="scripted", version="1.2.3")


class ScriptedSource:
    def __init__(self, camera: CameraConfig) -> None:
        self.camera = camera
        self.closed = False

    def frames(self) -> Iterator[tuple[float, np.ndarray]]:
        kind = self.camera.source.removeprefix("test://")
        if kind == "broken":
            raise StreetorderError(f"camera {self.camera.id}: connection refused")
        t = 0.0
        for i in range(10**9):
            if kind == "flaky" and i == 5:
                raise StreetorderError(f"camera {self.camera.id}: stream dropped")
            yield t, np.full((36, 64, 3), i % 256, np.uint8)  # a live picture changes
            t += self.camera.analysis_interval_seconds
            time.sleep(self.camera.analysis_interval_seconds)

    def close(self) -> None:
        self.closed = True


class ScriptedPipeline:
    counters: dict[str, int] = {}
    lock = threading.Lock()

    def __init__(
        self, node_id: str, camera: CameraConfig, alert_every: int, max_alerts: int | None = None
    ) -> None:
        self.node_id = node_id
        self.camera = camera
        self.alert_every = alert_every
        self.max_alerts = max_alerts
        self.frames = 0
        self.last_detection_count = 0

    def process(self, frame: np.ndarray, t: float) -> list[Alert]:
        self.frames += 1
        self.last_detection_count = self.frames % 3
        if self.frames % self.alert_every:
            return []
        with self.lock:
            n = self.counters.get(self.camera.id, 0)
            if self.max_alerts is not None and n >= self.max_alerts:
                return []
            self.counters[self.camera.id] = n + 1
        return [make_alert(self.node_id, n, camera_id=self.camera.id)]


def scripted_runtime(
    alert_every: int = 4, class_names: tuple[str, ...] = CLASS_NAMES, max_alerts: int | None = None
):
    def factory(config: EdgeNodeConfig, base_dir: Path) -> Runtime:
        return Runtime(
            open_source=ScriptedSource,
            make_pipeline=lambda camera: ScriptedPipeline(
                config.node_id, camera, alert_every, max_alerts
            ),
            model=MODEL,
            evidence_path=lambda alert, name: base_dir / name,
            class_names=class_names,
        )

    return factory


def camera(cid: str, kind: str, interval: float = 0.05) -> dict:
    return {
        "id": cid,
        "source": f"test://{kind}",
        "analysis_interval_seconds": interval,
        "zones": [{"id": "z1", "shop_id": "shop-001", "polygon": [[0, 0], [1, 0], [1, 1]]}],
    }
