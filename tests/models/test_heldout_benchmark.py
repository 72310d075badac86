"""The multi-seed held-out benchmark: Ultralytics' matching rule, pooled AP, bootstrap intervals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from streetorder.models.heldout import IOU_THRESHOLDS, benchmark, bootstrap_map50, match_tp


def test_one_truth_is_matched_by_its_best_overlap_of_the_right_class_only() -> None:
    truth = np.array([[0, 0, 10, 10]], np.float32)
    dets = np.array([[0, 0, 10, 10], [0, 0, 10, 9], [0, 0, 10, 10]], np.float32)
    tp = match_tp(truth, np.array([2]), dets, np.array([2, 2, 1]))
    assert tp.shape == (3, len(IOU_THRESHOLDS))
    assert tp[0].all(), "the exact box of the right class is a hit at every threshold"
    assert not tp[1].any(), "a second box on a matched truth is a false positive"
    assert not tp[2].any(), "another class never matches"
    loose = match_tp(truth, np.array([2]), np.array([[0, 0, 10, 14]], np.float32), np.array([2]))
    assert loose[0, 0] and not loose[0, -1]  # IoU 0.71: a hit at 0.5, a miss at 0.95


def _row(cls: int, hit: bool, conf: float) -> dict:
    tp = np.zeros((1, len(IOU_THRESHOLDS)), bool)
    tp[0, 0] = hit
    return {"tp": tp, "conf": np.array([conf], np.float32), "pred_cls": np.array([cls]),
            "target_cls": np.array([cls])}  # fmt: skip


def test_bootstrap_interval_brackets_a_mixed_class_and_pins_a_perfect_one() -> None:
    rows = [_row(0, True, 0.9)] * 20 + [_row(1, i % 2 == 0, 0.5 + i / 100) for i in range(20)]
    ci = bootstrap_map50(rows, draws=60)
    assert ci["goods"][0] > 0.98, "always found: the interval sits at 1"
    lo, hi = ci["rack"]
    assert 0.0 <= lo < hi <= 1.0 and hi - lo > 0.05, "half found: a real spread"


@pytest.mark.slow
def test_benchmark_of_the_bundled_model_over_two_seeds(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("ultralytics")
    from streetorder.contracts.model_bundle import bundled_model_path

    report = benchmark(bundled_model_path(), [11, 12], 6, tmp_path / "cache", tmp_path / "out",
                       draws=20, workers=1, size=(320, 180))  # fmt: skip
    assert report["images"] == 12 and report["seeds"] == [11, 12]
    assert json.loads((tmp_path / "out" / "heldout.json").read_text())["images"] == 12
    assert report["objects"] == sum(r["instances"] for r in report["per_class"].values())
    for row in report["per_class"].values():
        lo, hi = row["mAP50_95ci"]
        assert 0.0 <= lo <= hi <= 1.0 and 0.0 <= row["mAP50"] <= 1.0
        assert len(row["mAP50_by_seed"]) == 2
    assert sum(v["images"] for v in report["mAP50_by_lighting"].values()) == 12
    assert report["recall_by_size"]["score"] > 0
    # the second run reads the cached held-out images instead of generating them again
    again = benchmark(bundled_model_path(), [11, 12], 6, tmp_path / "cache", tmp_path / "o2",
                      draws=20, workers=1, size=(320, 180))  # fmt: skip
    assert again["per_class"] == report["per_class"]


def test_markdown_tables_mark_the_targets_and_compare_with_another_model() -> None:
    from streetorder.models.heldout import markdown

    def report(goods: float) -> dict:
        return {
            "objects": 30,
            "mAP50_all": (goods + 0.8) / 2,
            "mAP50_all_95ci": [0.7, 0.9],
            "per_class": {
                "goods": {
                    "instances": 20,
                    "mAP50": goods,
                    "mAP50_95ci": [0.85, 0.95],
                    "mAP50_by_seed": [0.88, 0.93],
                    "mAP50-95": 0.6,
                },
                "person": {
                    "instances": 10,
                    "mAP50": 0.8,
                    "mAP50_95ci": [0.7, 0.9],
                    "mAP50_by_seed": [0.8, None],
                    "mAP50-95": 0.5,
                },
            },  # fmt: skip
            "mAP50_by_lighting": {"ir_night": {"images": 3, "goods": 0.5}},
            "recall_by_size": {"score": 0.35, "goods": {"16-32": [3, 4, 0.75]}},
        }

    text = markdown(report(0.91), other=report(0.80))
    assert "| `goods` | 20 | 0.910 | 0.850–0.950 | 0.880–0.930 | 0.600 | met | 0.800 |" in text
    assert "| `person` | 10 | 0.800 | 0.700–0.900 | 0.800–0.800 | 0.500 | — | 0.800 |" in text
    assert "| ir_night | 3 | 0.5 | — |" in text
    assert "| `goods` | — | — | 0.75 (3/4) | — | — |" in text
    assert "≥ 0.9 missed" in markdown(report(0.85))
