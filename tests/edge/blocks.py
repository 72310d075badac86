"""A tiny real detector for synthetic test scenes: finds solid blocks by their class colour."""

from __future__ import annotations

import cv2
import numpy as np

from streetorder.contracts import ModelInfo
from streetorder.edge.detections import Detections
from streetorder.vocabulary import CLASS_IDS, CLASS_NAMES

#: BGR colour drawn for each class in synthetic scenes.
COLORS = {"goods": (0, 140, 255), "person": (255, 0, 0), "table": (0, 255, 0)}
BACKGROUND = (90, 90, 90)


class BlockDetector:
    names = CLASS_NAMES
    info = ModelInfo(name="blocks", version="1")

    def __call__(self, frame: np.ndarray) -> Detections:
        boxes, classes = [], []
        for name, color in COLORS.items():
            mask = cv2.inRange(frame, np.array(color) - 20, np.array(color) + 20)
            contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
            for c in contours:
                x, y, w, h = cv2.boundingRect(c)
                if w * h >= 100:
                    boxes.append((x, y, x + w, y + h))
                    classes.append(CLASS_IDS[name])
        n = len(boxes)
        return Detections(np.array(boxes, np.float32).reshape(-1, 4), [0.9] * n, classes)


def scene(objects: list[tuple[str, tuple[int, int, int, int]]], size=(1280, 720)) -> np.ndarray:
    frame = np.full((size[1], size[0], 3), BACKGROUND, np.uint8)
    for name, (x1, y1, x2, y2) in objects:
        cv2.rectangle(frame, (x1, y1), (x2, y2), COLORS[name], -1)
    return frame
