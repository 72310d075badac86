"""Draw zones, boxes, labels, camera and time on a frame (evidence and replay video)."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt

from streetorder.edge.detections import Detections

Frame = npt.NDArray[np.uint8]
#: BGR colours of a zone by dwell phase.
ZONE_COLORS = {"idle": (80, 200, 80), "pending": (0, 165, 255), "alerted": (0, 0, 255)}
_PALETTE = np.array(
    [
        (255, 128, 0),
        (0, 200, 255),
        (180, 0, 255),
        (0, 255, 128),
        (255, 0, 128),
        (200, 200, 200),
        (128, 255, 255),
    ],
    np.uint8,
)


def draw_zones(
    frame: Frame,
    polygons: Sequence[npt.NDArray[np.float32]],
    labels: Sequence[str],
    phases: Sequence[str],
) -> Frame:
    overlay = frame.copy()
    for poly, phase in zip(polygons, phases, strict=True):
        cv2.fillPoly(
            overlay, [np.round(poly).astype(np.int32)], ZONE_COLORS.get(phase, (255, 255, 255))
        )
    out = cv2.addWeighted(overlay, 0.18, frame, 0.82, 0)
    thick = _thickness(frame)
    for poly, label, phase in zip(polygons, labels, phases, strict=True):
        color = ZONE_COLORS.get(phase, (255, 255, 255))
        pts = np.round(poly).astype(np.int32)
        cv2.polylines(out, [pts], True, color, thick, cv2.LINE_AA)
        _label(out, label, (int(pts[:, 0].min()), int(pts[:, 1].min())), color)
    return out


def draw_detections(frame: Frame, detections: Detections, names: Sequence[str]) -> Frame:
    thick = _thickness(frame)
    for i in range(len(detections)):
        x1, y1, x2, y2 = (int(round(v)) for v in detections.xyxy[i])
        cls = int(detections.class_id[i])
        color = tuple(int(c) for c in _PALETTE[cls % len(_PALETTE)])
        cv2.rectangle(frame, (x1, y1), (x2, y2), color, thick, cv2.LINE_AA)
        name = names[cls] if 0 <= cls < len(names) else str(cls)
        tid = "" if detections.tracker_id is None else f" #{int(detections.tracker_id[i])}"
        _label(frame, f"{name}{tid} {detections.confidence[i]:.2f}", (x1, y1), color)
    return frame


def draw_caption(frame: Frame, text: str) -> Frame:
    scale = max(0.5, frame.shape[1] / 1600)
    (w, h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    cv2.rectangle(frame, (0, 0), (w + 12, h + base + 12), (0, 0, 0), -1)
    cv2.putText(
        frame, text, (6, h + 6), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA
    )
    return frame


def _label(frame: Frame, text: str, at: tuple[int, int], color: tuple[int, ...]) -> None:
    scale = max(0.4, frame.shape[1] / 2400)
    (w, h), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    x, y = at[0], max(at[1], h + base + 2)
    cv2.rectangle(frame, (x, y - h - base - 2), (x + w + 4, y), color, -1)
    cv2.putText(
        frame, text, (x + 2, y - base), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 1, cv2.LINE_AA
    )


def _thickness(frame: Frame) -> int:
    return max(1, frame.shape[1] // 640)
