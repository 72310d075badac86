"""One reading per object: a box another class reads more confidently at the same place goes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from streetorder.edge.config import ModelSettings
from streetorder.edge.detect import OnnxDetector
from streetorder.edge.detect.letterbox import plan_letterbox
from streetorder.edge.detect.readings import one_reading_per_object
from streetorder.vocabulary import CLASS_NAMES

# a parked scooter read as two_wheeler 0.81 and stall 0.42 (streets-heldout seed 108, stage 2)
SCOOTER = np.array([[528, 162, 751, 294], [517, 169, 749, 295]], np.float32)
GOODS_ON_RACK = np.array([[621, 0, 797, 277], [622, 81, 775, 273]], np.float32)  # IoU 0.60


def ids(*names: str) -> np.ndarray:
    return np.array([CLASS_NAMES.index(n) for n in names], np.int64)


def test_the_more_confident_class_wins_one_object() -> None:
    keep = one_reading_per_object(
        SCOOTER, np.array([0.81, 0.42], np.float32), ids("two_wheeler", "stall"), 0.8
    )
    assert keep.tolist() == [0]
    keep = one_reading_per_object(
        SCOOTER[::-1].copy(), np.array([0.42, 0.81], np.float32), ids("stall", "two_wheeler"), 0.8
    )
    assert keep.tolist() == [1]  # input order kept, whichever comes first


def test_different_objects_and_one_class_are_left_alone() -> None:
    scores = np.array([0.73, 0.57], np.float32)
    # goods on a rack overlap but are two objects at this threshold
    assert one_reading_per_object(GOODS_ON_RACK, scores, ids("rack", "goods"), 0.8).tolist() == [
        0,
        1,
    ]
    # boxes of one class are NMS's business, not this rule's
    assert one_reading_per_object(SCOOTER, scores, ids("stall", "stall"), 0.8).tolist() == [0, 1]
    assert one_reading_per_object(SCOOTER[:1], scores[:1], ids("stall"), 0.8).tolist() == [0]
    empty = np.zeros((0, 4), np.float32)
    assert one_reading_per_object(empty, np.zeros(0, np.float32), ids(), 0.8).size == 0


def test_a_dropped_reading_drops_nothing_else() -> None:
    # A beats B (same object); B would have beaten C, but only kept readings count
    boxes = np.array([[0, 0, 100, 100], [0, 0, 100, 90], [0, 0, 100, 80]], np.float32)
    scores = np.array([0.9, 0.8, 0.7], np.float32)
    keep = one_reading_per_object(boxes, scores, ids("two_wheeler", "stall", "goods"), 0.85)
    assert keep.tolist() == [0, 2]  # IoU(A, C) 0.80 keeps C; IoU(B, C) 0.89 does not count


def raw_output(names: tuple[str, ...], boxes, scores, labels) -> np.ndarray:
    """A raw detect head output (1, 4 + nc, anchors) for the given input-pixel boxes."""
    out = np.zeros((1, 4 + len(names), len(boxes)), np.float32)
    for k, ((x1, y1, x2, y2), s, name) in enumerate(zip(boxes, scores, labels, strict=True)):
        out[0, :4, k] = [(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1]
        out[0, 4 + names.index(name), k] = s
    return out


@pytest.mark.parametrize("cross_class_iou, expected", [(None, 2), (0.8, 1)])
def test_the_detector_applies_the_setting(cross_class_iou, expected) -> None:
    det = OnnxDetector(score_threshold=0.25, cross_class_iou=cross_class_iou)
    h, w = det.imgsz
    plan = plan_letterbox((w, h), (w, h), None)
    boxes = [(100, 60, 220, 130), (95, 64, 219, 131)]
    out = raw_output(det.model_names, boxes, [0.81, 0.42], ["two_wheeler", "stall"])
    found = det.postprocess(out, plan)
    assert len(found) == expected
    assert det.names[int(found.class_id[0])] == "two_wheeler"


def test_the_setting_comes_from_the_config() -> None:
    assert ModelSettings().cross_class_iou == 0.8  # chosen on the training domain's scenarios
    assert OnnxDetector.from_settings(ModelSettings(), Path(".")).cross_class_iou == 0.8
    off = ModelSettings(cross_class_iou=None)
    assert OnnxDetector.from_settings(off, Path(".")).cross_class_iou is None
    for bad in (0, 1.5):
        with pytest.raises(ValueError, match="cross_class_iou"):
            ModelSettings(cross_class_iou=bad)
