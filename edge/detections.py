"""Detections: parallel numpy arrays for one frame's boxes, scores, classes and track ids."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Detections:
    """Boxes of one frame in source-frame pixels.

    Attributes:
        xyxy: (n, 4) float32, x1, y1, x2, y2.
        confidence: (n,) float32 scores in 0..1.
        class_id: (n,) int64 indices into the model's class names.
        tracker_id: (n,) int64 track ids, or None before tracking.
    """

    xyxy: FloatArray
    confidence: FloatArray
    class_id: IntArray
    tracker_id: IntArray | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "xyxy", np.asarray(self.xyxy, dtype=np.float32).reshape(-1, 4))
        n = len(self.xyxy)
        for name, dtype in (("confidence", np.float32), ("class_id", np.int64)):
            value = np.asarray(getattr(self, name), dtype=dtype).reshape(-1)
            if len(value) != n:
                raise ValueError(f"{name} has {len(value)} entries but xyxy has {n} boxes")
            object.__setattr__(self, name, value)
        if self.tracker_id is not None:
            ids = np.asarray(self.tracker_id, dtype=np.int64).reshape(-1)
            if len(ids) != n:
                raise ValueError(f"tracker_id has {len(ids)} entries but xyxy has {n} boxes")
            object.__setattr__(self, "tracker_id", ids)

    @classmethod
    def empty(cls, tracked: bool = False) -> Detections:
        return cls(
            np.zeros((0, 4), np.float32),
            np.zeros(0, np.float32),
            np.zeros(0, np.int64),
            np.zeros(0, np.int64) if tracked else None,
        )

    def __len__(self) -> int:
        return len(self.xyxy)

    def __getitem__(self, index: BoolArray | npt.NDArray[np.integer] | slice) -> Detections:
        """Select boxes by boolean mask, index array or slice; returns a new object."""
        if isinstance(index, np.ndarray) and index.dtype == np.bool_ and len(index) != len(self):
            raise ValueError(f"mask has {len(index)} entries for {len(self)} detections")
        return Detections(
            self.xyxy[index],
            self.confidence[index],
            self.class_id[index],
            None if self.tracker_id is None else self.tracker_id[index],
        )

    def with_tracker_id(self, tracker_id: IntArray) -> Detections:
        return Detections(self.xyxy, self.confidence, self.class_id, tracker_id)

    @property
    def area(self) -> FloatArray:
        wh = np.clip(self.xyxy[:, 2:] - self.xyxy[:, :2], 0, None)
        return wh[:, 0] * wh[:, 1]

    def anchor(self, kind: str = "bottom_center") -> FloatArray:
        """(n, 2) anchor points: ``bottom_center`` or ``center``."""
        x = (self.xyxy[:, 0] + self.xyxy[:, 2]) / 2
        if kind == "bottom_center":
            y = self.xyxy[:, 3]
        elif kind == "center":
            y = (self.xyxy[:, 1] + self.xyxy[:, 3]) / 2
        else:
            raise ValueError(f"unknown anchor {kind!r}; use bottom_center or center")
        return np.stack([x, y], axis=1).astype(np.float32)


def box_overlaps(a: FloatArray, b: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(n, m) intersection areas of boxes ``a`` (n, 4) and ``b`` (m, 4) in xyxy, with the (n,)
    and (m,) areas of each."""
    a = np.asarray(a, np.float32).reshape(-1, 4)
    b = np.asarray(b, np.float32).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.clip(rb - lt, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    area_a = np.prod(np.clip(a[:, 2:] - a[:, :2], 0, None), axis=1)
    area_b = np.prod(np.clip(b[:, 2:] - b[:, :2], 0, None), axis=1)
    return inter, area_a, area_b


def box_iou(a: FloatArray, b: FloatArray) -> FloatArray:
    """(n, m) IoU of boxes ``a`` (n, 4) and ``b`` (m, 4) in xyxy."""
    inter, area_a, area_b = box_overlaps(a, b)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0).astype(np.float32)
