"""Which model each camera runs, and the safe switch to a version the platform delivers.

Every camera's pipeline holds a :class:`CameraDetector`: a stable face (class names in the
vocabulary's order, so zones and tracks keep their class ids) over the model it runs now. A
push's models are *prepared* first (download and sha256, load, warm-up, latency against the
node's budget, every zone's classes through ``model.class_map``) while the cameras go on with
their current models; only a push whose models all pass is *committed*: each camera's detector
is swapped between two frames, under the lock that serialises inference. A refused push
changes nothing.
"""

from __future__ import annotations

import logging
import statistics
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from streetorder.contracts import CameraConfig, ModelAssignment, ModelInfo, ModelRef
from streetorder.edge.detect.class_map import zone_class_problem
from streetorder.edge.detections import Detections
from streetorder.edge.runtime.model_fetch import ModelFiles
from streetorder.errors import StreetorderError
from streetorder.vocabulary import CLASS_NAMES

log = logging.getLogger(__name__)

#: Loads a model file into a detector (the node's threads, thresholds and class map).
Loader = Callable[[Any], Any]


@dataclass
class Loaded:
    """A detector and the version it is (None: the node's own configured model)."""

    detector: Any
    info: ModelInfo
    ref: ModelRef | None = None
    latency_ms: float = 0.0


def measure_latency(detector: Any, warmup: int = 2, runs: int = 5) -> float:
    """Median milliseconds of one frame at the model's input size, after ``warmup`` runs."""
    h, w = getattr(detector, "imgsz", (640, 640))
    frame = np.full((int(h), int(w), 3), 114, np.uint8)
    for _ in range(warmup):
        detector(frame)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        detector(frame)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


class CameraDetector:
    """One camera's view of its current model; ``swap`` replaces it between two frames."""

    def __init__(self, model: Loaded, lock: threading.Lock) -> None:
        self._lock = lock
        self.names: tuple[str, ...] = CLASS_NAMES
        self._lookup: np.ndarray | None = None
        self.model = model
        self._set(model)

    def _set(self, model: Loaded) -> None:
        inner = tuple(model.detector.names)
        self._lookup = (
            None
            if inner == self.names
            else np.array([self.names.index(n) if n in self.names else -1 for n in inner], np.int64)
        )
        self.model = model

    def swap(self, model: Loaded) -> None:
        with self._lock:
            self._set(model)

    @property
    def info(self) -> ModelInfo:
        return self.model.info

    @property
    def score_threshold(self) -> float:
        return float(getattr(self.model.detector, "score_threshold", 0.1))

    @property
    def model_names(self) -> tuple[str, ...]:
        return tuple(getattr(self.model.detector, "model_names", self.model.detector.names))

    def __call__(self, frame: np.ndarray) -> Detections:
        with self._lock:
            detections = self.model.detector(frame)
            lookup = self._lookup
        if lookup is None or not len(detections):
            return detections
        ids = lookup[detections.class_id]
        keep = ids >= 0
        return Detections(
            detections.xyxy[keep], detections.confidence[keep], ids[keep], detections.tracker_id
        )


@dataclass
class Plan:
    """Prepared models for a push: camera id → the model it is to run."""

    cameras: dict[str, Loaded]
    node: Loaded
    new: list[Loaded] = field(default_factory=list)


class ModelSwitch:
    """The node's models: its own (``default``), the delivered versions it has loaded, and each
    camera's :class:`CameraDetector`."""

    def __init__(
        self, default: Loaded, load: Loader, files: ModelFiles, latency_budget_ms: float
    ) -> None:
        self.default = default
        self.load = load
        self.files = files
        self.latency_budget_ms = latency_budget_ms
        self.lock = threading.Lock()
        self.node_model = default
        self.loaded: dict[str, Loaded] = {}  # sha256 → a delivered version in use
        self.cameras: dict[str, CameraDetector] = {}
        self.assigned: dict[str, Loaded] = {}  # camera id → model (set by commit)

    # -- what the pipelines and the heartbeat see -----------------------------------------
    def detector_for(self, camera_id: str) -> CameraDetector:
        model = self.assigned.get(camera_id, self.node_model)
        detector = self.cameras.get(camera_id)
        if detector is None:
            detector = self.cameras[camera_id] = CameraDetector(model, self.lock)
        elif detector.model is not model:
            detector.swap(model)
        return detector

    def running(self, camera_id: str) -> ModelInfo:
        detector = self.cameras.get(camera_id)
        return detector.info if detector else self.assigned.get(camera_id, self.node_model).info

    def class_problem(self, cameras: Iterable[CameraConfig]) -> str | None:
        """The first zone class a camera's current model cannot report, else None."""
        for i, camera in enumerate(cameras):
            problem = _class_problem(i, camera, self.assigned.get(camera.id, self.node_model))
            if problem:
                return problem
        return None

    # -- a push ----------------------------------------------------------------------------
    def prepare(self, models: ModelAssignment, cameras: tuple[CameraConfig, ...]) -> Plan:
        """Load and check every model ``models`` asks for; nothing changes for the cameras.

        Raises:
            ValueError: the sentence the node acknowledges a refusal with.
        """
        new: list[Loaded] = []
        try:
            node = self._model(models.node, new)
            plan = Plan({c.id: self._model(models.cameras.get(c.id), new, node) for c in cameras},
                        node, new)  # fmt: skip
            for i, camera in enumerate(cameras):
                problem = _class_problem(i, camera, plan.cameras[camera.id])
                if problem:
                    raise ValueError(problem)
        except (StreetorderError, ValueError) as exc:
            self._close(new)
            raise ValueError(str(exc)) from None
        return plan

    def commit(self, plan: Plan) -> None:
        """Run ``plan``: every existing camera switches between two frames; versions no camera
        runs any more are unloaded."""
        for loaded in plan.new:
            if loaded.ref is not None:
                self.loaded[loaded.ref.sha256] = loaded
        self.node_model = plan.node
        self.assigned = dict(plan.cameras)
        for camera_id in list(self.cameras):
            if camera_id in plan.cameras:
                self.detector_for(camera_id)
            else:
                del self.cameras[camera_id]
        in_use = {id(m) for m in (plan.node, *plan.cameras.values())}
        for sha, loaded in list(self.loaded.items()):
            if id(loaded) not in in_use:
                del self.loaded[sha]
                self._close([loaded])
        for camera_id, loaded in plan.cameras.items():
            log.info("camera %s runs %s %s", camera_id, loaded.info.name, loaded.info.version)

    def discard(self, plan: Plan) -> None:
        self._close(plan.new)

    def _model(self, ref: ModelRef | None, new: list[Loaded], fallback: Loaded | None = None):
        if ref is None:
            return fallback or self.default
        for loaded in (*self.loaded.values(), *new):
            if loaded.ref is not None and loaded.ref.sha256 == ref.sha256:
                return loaded
        what = f"model {ref.name} {ref.version}"
        path = self.files.fetch(ref)
        try:
            detector = self.load(path)
        except StreetorderError as exc:
            raise ValueError(f"{what}: refused, it does not load: {exc}") from None
        loaded = Loaded(detector, ModelInfo(name=ref.name, version=ref.version), ref)
        new.append(loaded)
        with self.lock:  # measured alone: the cameras wait a few frames' time, none is dropped
            try:
                loaded.latency_ms = measure_latency(detector)
            except Exception as exc:  # a model that loads but fails on a frame
                raise ValueError(f"{what}: refused, it fails on a frame: {exc}") from None
        if loaded.latency_ms > self.latency_budget_ms:
            raise ValueError(
                f"{what}: refused, {loaded.latency_ms:.1f} ms per frame is over this node's "
                f"latency budget of {self.latency_budget_ms:g} ms (model.latency_budget_ms)"
            )
        log.info("%s loaded and warm: %.1f ms per frame", what, loaded.latency_ms)
        return loaded

    def _close(self, models: Iterable[Loaded]) -> None:
        for loaded in models:
            close = getattr(loaded.detector, "close", None)
            if callable(close):
                close()


def _class_problem(index: int, camera: CameraConfig, model: Loaded) -> str | None:
    """``cameras[index]...`` when ``model`` cannot report one of the camera's zone classes; a
    delivered version is named first."""
    names = tuple(model.detector.names)
    model_names = tuple(getattr(model.detector, "model_names", names))
    problem = zone_class_problem([camera], names, model_names)
    if problem is None:
        return None
    problem = problem.replace("cameras[0].", f"cameras[{index}].", 1)
    if model.ref is None:
        return problem
    return f"model {model.info.name} {model.info.version}: {problem}"
