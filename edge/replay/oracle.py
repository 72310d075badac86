"""A stand-in detector that reports the ground truth's own boxes: it evaluates tracking, zones
and dwell on scenario videos apart from the model (``replay --truth-boxes``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from streetorder.contracts import ModelInfo
from streetorder.edge.detections import Detections
from streetorder.vocabulary import CLASS_IDS, CLASS_NAMES


class TruthBoxDetector:
    """Boxes of the truth frame at the current time, with seeded misses, jitter, scores and
    (``spurious``) one-frame false goods boxes at random places.

    The replay runner calls :meth:`set_time` before each frame.
    """

    names = CLASS_NAMES
    score_threshold = 0.25

    def __init__(
        self,
        frames: Sequence[dict[str, Any]],
        *,
        seed: int = 0,
        miss: float = 0.0,
        jitter_px: float = 0.0,
        scores: tuple[float, float] = (0.9, 0.9),
        spurious: float = 0.0,
    ) -> None:
        self.info = ModelInfo(name="truth-boxes", version=f"miss{miss:g}-seed{seed}")
        self.frames = {round(float(f["t"]), 2): f.get("objects", []) for f in frames}
        self.rng = np.random.default_rng(seed)
        self.miss, self.jitter, self.scores = miss, jitter_px, scores
        self.spurious = spurious  # chance per frame of one false goods box at a random place
        self.t = 0.0

    def set_time(self, t: float) -> None:
        self.t = t

    def __call__(self, frame: npt.NDArray[np.uint8]) -> Detections:
        objs = self.frames.get(round(self.t, 2), [])
        objs = [o for o in objs if self.miss <= 0 or self.rng.random() >= self.miss]
        boxes = np.array([o["box_xyxy"] for o in objs], np.float32).reshape(-1, 4)
        if self.jitter > 0:
            boxes += self.rng.normal(0, self.jitter, boxes.shape).astype(np.float32)
        scores = self.rng.uniform(*self.scores, len(objs))
        classes = [CLASS_IDS[o["class_name"]] for o in objs]
        if self.spurious > 0 and self.rng.random() < self.spurious:
            h, w = frame.shape[:2]
            bw, bh = self.rng.uniform(0.04, 0.15) * w, self.rng.uniform(0.04, 0.15) * h
            x, y = self.rng.uniform(0, w - bw), self.rng.uniform(0, h - bh)
            boxes = np.concatenate([boxes, np.array([[x, y, x + bw, y + bh]], np.float32)])
            scores = np.concatenate([scores, [self.rng.uniform(*self.scores)]])
            classes.append(CLASS_IDS["goods"])
        return Detections(boxes, scores, classes)
