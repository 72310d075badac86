"""One reading per object: the detector may call one object by two classes at once (a parked
scooter as ``two_wheeler`` 0.81 and ``stall`` 0.42, boxes at IoU 0.95). Class-aware NMS keeps
both, and the weaker, wrong reading can then open an episode. Here a box that another class's
more confident box covers at more than ``iou`` is dropped: the object is what the detector is
surest of. Boxes of one class are left to NMS.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from streetorder.edge.detections import FloatArray, IntArray, box_iou


def one_reading_per_object(
    xyxy: FloatArray, scores: FloatArray, class_id: IntArray, iou: float
) -> npt.NDArray[np.int64]:
    """Indices of the boxes kept, in their input order."""
    n = len(xyxy)
    if n < 2:
        return np.arange(n, dtype=np.int64)
    order = np.argsort(-scores, kind="stable")
    overlap = box_iou(xyxy[order], xyxy[order]) > iou
    other_class = class_id[order][:, None] != class_id[order][None, :]
    dropped = np.zeros(n, bool)
    for i in range(n):
        if not dropped[i]:
            later = overlap[i] & other_class[i]
            later[: i + 1] = False
            dropped |= later
    return np.sort(order[~dropped]).astype(np.int64)
