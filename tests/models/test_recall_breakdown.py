"""Recall by class × size and lighting: the matching rules, and a run on generated scenes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from streetorder.cli import main
from streetorder.models.recall_breakdown import breakdown, match, miss_causes, size_bucket
from streetorder.models.synth.params import HELDOUT_LIGHTING, TRAIN_LIGHTING
from streetorder.vocabulary import CLASS_NAMES


def test_a_truth_is_found_only_by_its_own_class_at_iou_one_half() -> None:
    truth = [[0, 0, 10, 10], [20, 0, 30, 10], [40, 0, 50, 10]]
    dets = [[0, 0, 10, 10], [20, 0, 30, 10], [40, 0, 50, 4]]  # second: wrong class; third: IoU .4
    found, used = match(truth, [0, 0, 0], dets, [0, 1, 0], [0.9, 0.9, 0.9])
    assert found.tolist() == [True, False, False]
    assert used.tolist() == [True, False, False]


def test_one_detection_finds_at_most_one_truth_and_the_best_score_goes_first() -> None:
    truth = [[0, 0, 10, 10], [1, 0, 11, 10]]
    dets = [[0, 0, 10, 10], [0, 0, 10, 10]]
    found, used = match(truth, [2, 2], dets, [2, 2], [0.5, 0.8])
    assert found.tolist() == [True, True] and used.tolist() == [True, True]
    found, used = match(truth, [2, 2], dets[:1], [2], [0.5])
    assert found.tolist() == [True, False] and used.tolist() == [True]
    empty = match(np.zeros((0, 4)), [], dets, [2, 2], [0.5, 0.8])
    assert empty[0].size == 0 and empty[1].tolist() == [False, False]


def test_each_miss_gets_one_cause() -> None:
    truth = [[0, 0, 10, 10], [1, 0, 11, 10], [20, 0, 30, 10], [40, 0, 50, 10], [60, 0, 70, 10],
             [80, 0, 90, 10]]  # fmt: skip
    tcls = [0, 0, 0, 2, 0, 0]
    dets = [[0, 0, 10, 10], [20, 0, 30, 10], [40, 0, 50, 3], [80, 0, 90, 10]]
    dcls = [0, 3, 2, 0]
    found, _ = match(truth, tcls, dets, dcls, [0.9] * 4)
    assert miss_causes(truth, tcls, found, dets, dcls) == [
        None, "merged", "stall", "mislocated", "undetected", None
    ]  # fmt: skip
    assert miss_causes(truth[:1], [0], np.zeros(1, bool), np.zeros((0, 4)), []) == ["undetected"]


def test_size_buckets_have_open_upper_and_closed_lower_edges() -> None:
    assert [size_bucket(v) for v in (0, 7.9, 8, 16, 31.9, 64, 500)] == [
        "<8", "<8", "8-16", "16-32", "16-32", ">=64", ">=64"
    ]  # fmt: skip


def test_a_malformed_label_line_is_named(tmp_path: Path) -> None:
    from streetorder.errors import StreetorderError
    from streetorder.models.recall_breakdown import read_yolo_labels

    label = tmp_path / "a.txt"
    label.write_text("0 0.5 0.5 0.2 0.2\n\n9 0.5 0.5 0.2 0.2\n")
    with pytest.raises(StreetorderError, match=r"a.txt:3: expected 'class cx cy w h'"):
        read_yolo_labels(label, 100, 50)
    label.write_text("1 0.5 0.5 0.2\n")
    with pytest.raises(StreetorderError, match=r"a.txt:1:"):
        read_yolo_labels(label, 100, 50)
    label.write_text("1 0.5 0.5 0.2 0.4\n")
    boxes, classes = read_yolo_labels(label, 100, 50)
    assert classes.tolist() == [1] and boxes.round(3).tolist() == [[40, 15, 60, 35]]


@pytest.fixture(scope="module")
def scenes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scenes")
    args = ["models", "synth", "--out", str(out), "--train", "1", "--val", "1", "--test", "8"]
    assert main([*args, "--size", "640x360", "--workers", "1"]) == 0
    return out


def _label_counts(folder: Path) -> dict[str, int]:
    counts = dict.fromkeys(CLASS_NAMES, 0)
    for label in folder.glob("*.txt"):
        for line in label.read_text().splitlines():
            counts[CLASS_NAMES[int(line.split()[0])]] += 1
    return counts


def test_every_labelled_object_is_counted_once_by_size_and_by_lighting(scenes: Path) -> None:
    images = sorted((scenes / "images" / "test").glob("*.jpg"))
    report = breakdown(None, images, [str(scenes / "images" / "test")])
    counts = _label_counts(scenes / "labels" / "test")
    grid = report["by_class_size"]
    for name in CLASS_NAMES:
        cells = [grid[name][b]["instances"] for b in report["size_buckets_px"]]
        assert sum(cells) == grid[name]["all"]["instances"] == counts[name]
    lighting = report["by_lighting"]
    assert set(lighting) <= set(TRAIN_LIGHTING + HELDOUT_LIGHTING)
    assert sum(row["instances"] for row in lighting.values()) == sum(counts.values())
    for name in CLASS_NAMES:
        found = round(grid[name]["all"]["recall"] * counts[name]) if counts[name] else 0
        assert sum(report["missed_as"][name].values()) == counts[name] - found
    # the bundled detector finds most goods and people in its own kind of scenes
    found = sum(grid[n]["all"]["recall"] * grid[n]["all"]["instances"] for n in ("goods", "person"))
    assert found >= 0.5 * (counts["goods"] + counts["person"]) > 0


def test_a_score_no_detection_reaches_finds_nothing_and_flags_nothing(scenes: Path) -> None:
    images = sorted((scenes / "images" / "test").glob("*.jpg"))
    report = breakdown(None, images, [str(scenes / "images" / "test")], score=1.01)
    assert all(
        row["recall"] in (None, 0.0)
        for cls in report["by_class_size"].values()
        for row in cls.values()
    )
    assert set(report["unmatched_detections_per_image"].values()) == {0.0}
    misses = {cause for row in report["missed_as"].values() for cause in row}
    assert misses == {"undetected"}


def test_eval_writes_the_breakdown_and_its_picture(scenes: Path, tmp_path: Path) -> None:
    out = tmp_path / "eval"
    args = ["models", "eval", "--data", str(scenes / "data.yaml"), "--out", str(out)]
    assert main([*args, "--latency-runs", "5"]) == 0
    report = json.loads((out / "eval.json").read_text())
    assert report["recall_breakdown"]["score_threshold"] == 0.35
    assert (out / "eval-recall.png").stat().st_size > 5000
