"""Turn raw Ultralytics detect outputs into boxes in input pixels: decode, filter, NMS."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from streetorder.edge.detections import FloatArray, IntArray

#: Box offset per class so that one NMS call never suppresses across classes (as Ultralytics).
_CLASS_OFFSET = 7680.0
_MATRIX_MAX = 1500


def decode_raw(
    output: npt.NDArray[np.float32],
    score_threshold: float,
    iou_threshold: float,
    max_det: int = 300,
    max_candidates: int = 30000,
    class_lookup: IntArray | None = None,
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Decode one image's raw head output (4 + nc, N): cx, cy, w, h, then class scores.

    ``class_lookup`` (nc,) renumbers the model's classes before NMS (-1 drops a class), so
    classes mapped to one project class suppress each other. Returns xyxy (n, 4) in input
    pixels, scores (n,), class ids (n,), best score first.
    """
    if output.ndim != 2 or output.shape[0] < 5:
        raise ValueError(f"raw detect output must be (4 + classes, anchors), got {output.shape}")
    class_scores = output[4:]
    class_id = class_scores.argmax(axis=0)
    scores = class_scores[class_id, np.arange(class_scores.shape[1])]
    if class_lookup is not None:
        class_id = class_lookup[class_id]
        scores = np.where(class_id >= 0, scores, -np.inf)
    keep = np.flatnonzero(scores > score_threshold)
    if keep.size == 0:
        return _empty()
    if keep.size > max_candidates:
        keep = keep[np.argsort(-scores[keep], kind="stable")[:max_candidates]]
    scores, class_id = scores[keep], class_id[keep]
    cx, cy, w, h = output[0, keep], output[1, keep], output[2, keep], output[3, keep]
    xyxy = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    order = nms(xyxy, scores, class_id, iou_threshold)[:max_det]
    return (
        xyxy[order].astype(np.float32),
        scores[order].astype(np.float32),
        class_id[order].astype(np.int64),
    )


def decode_end2end(
    output: npt.NDArray[np.float32], score_threshold: float, class_lookup: IntArray | None = None
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Decode one image's NMS-in-graph output (max_det, 6): x1, y1, x2, y2, score, class.

    ``class_lookup`` renumbers the classes; -1 (or a class id beyond it) drops the box.
    """
    if output.ndim != 2 or output.shape[1] != 6:
        raise ValueError(f"end-to-end detect output must be (max_det, 6), got {output.shape}")
    keep = output[:, 4] > score_threshold
    rows = output[keep]
    order = np.argsort(-rows[:, 4], kind="stable")
    rows = rows[order]
    class_id = rows[:, 5].astype(np.int64)
    if class_lookup is not None:
        known = (class_id >= 0) & (class_id < len(class_lookup))
        class_id = np.where(known, class_lookup[np.where(known, class_id, 0)], -1)
        rows, class_id = rows[class_id >= 0], class_id[class_id >= 0]
    return rows[:, :4].astype(np.float32), rows[:, 4].astype(np.float32), class_id


def nms(
    xyxy: FloatArray, scores: FloatArray, class_id: IntArray, iou_threshold: float
) -> npt.NDArray[np.int64]:
    """Class-aware greedy non-maximum suppression, computed as torchvision does.

    Returns indices of kept boxes, best score first. Up to ``_MATRIX_MAX`` candidates the IoU
    matrix is computed once and the greedy pass only ORs rows; beyond that, one vectorised pass
    per kept box keeps memory bounded.
    """
    n = len(xyxy)
    if n == 0:
        return np.zeros(0, np.int64)
    order = np.argsort(-scores, kind="stable")
    boxes = (
        xyxy[order].astype(np.float32) + class_id[order, None].astype(np.float32) * _CLASS_OFFSET
    )
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    if n <= _MATRIX_MAX:
        lt = np.maximum(boxes[:, None, :2], boxes[None, :, :2])
        rb = np.minimum(boxes[:, None, 2:], boxes[None, :, 2:])
        wh = np.clip(rb - lt, 0, None)
        inter = wh[..., 0] * wh[..., 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            over = inter / (areas[:, None] + areas[None, :] - inter) > iou_threshold
        removed = np.zeros(n, bool)
        keep: list[int] = []
        for i in range(n):
            if not removed[i]:
                keep.append(i)
                removed |= over[i]
        return order[np.asarray(keep, np.int64)]
    rest = np.arange(n)
    kept: list[int] = []
    while rest.size:
        best, rest = rest[0], rest[1:]
        kept.append(int(best))
        if not rest.size:
            break
        lt = np.maximum(boxes[best, :2], boxes[rest, :2])
        rb = np.minimum(boxes[best, 2:], boxes[rest, 2:])
        wh = np.clip(rb - lt, 0, None)
        inter = wh[:, 0] * wh[:, 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            iou = inter / (areas[best] + areas[rest] - inter)
        rest = rest[~(iou > iou_threshold)]
    return order[np.asarray(kept, np.int64)]


def _empty() -> tuple[FloatArray, FloatArray, IntArray]:
    return np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64)
