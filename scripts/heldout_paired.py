"""Paired held-out comparison of two ONNX detectors: mAP50 per class of each on the same images
of ``models heldout``'s seeds, and a bootstrap 95 % interval of the difference (B - A), the images
resampled jointly, so the seed-to-seed spread that both models share cancels out.

    python scripts/heldout_paired.py A.onnx B.onnx --seeds 101-105 --images 200 --out runs/x.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from streetorder.models.cli import _seed_list
from streetorder.models.heldout import (
    VAL_MAX_DET,
    VAL_NMS_IOU,
    VAL_SCORE,
    ap_by_class,
    heldout_data,
    predict_folder,
)


def rows_of(model: Path, seeds: list[int], images: int, cache: Path) -> list[dict]:
    from streetorder.edge.detect.onnx_detector import OnnxDetector

    det = OnnxDetector(model, threads=2, score_threshold=VAL_SCORE, iou_threshold=VAL_NMS_IOU,
                       max_det=VAL_MAX_DET)  # fmt: skip
    rows: list[dict] = []
    for seed in seeds:
        rows += predict_folder(det, heldout_data(cache, seed, images), seed)
    return rows


def paired(rows_a: list[dict], rows_b: list[dict], draws: int = 300, seed: int = 0) -> dict:
    if [(r["seed"], r["image"]) for r in rows_a] != [(r["seed"], r["image"]) for r in rows_b]:
        raise ValueError("the two models were not run on the same images")
    a, b = ap_by_class(rows_a), ap_by_class(rows_b)
    rng = np.random.default_rng(seed)
    diffs: dict[str, list[float]] = {}
    for _ in range(draws):
        picks = rng.integers(0, len(rows_a), len(rows_a))
        ta = ap_by_class([rows_a[i] for i in picks])
        tb = ap_by_class([rows_b[i] for i in picks])
        for name in ta.keys() & tb.keys():
            diffs.setdefault(name, []).append(tb[name][0] - ta[name][0])
        if ta and tb:
            diffs.setdefault("all", []).append(
                float(np.mean([v[0] for v in tb.values()]) - np.mean([v[0] for v in ta.values()]))
            )
    out = {}
    for name in [*a.keys(), "all"]:
        ma = a[name][0] if name != "all" else float(np.mean([v[0] for v in a.values()]))
        mb = b[name][0] if name != "all" else float(np.mean([v[0] for v in b.values()]))
        d = diffs.get(name, [0.0])
        out[name] = {"A": round(ma, 4), "B": round(mb, 4), "B_minus_A": round(mb - ma, 4),
                     "diff_95ci": [round(float(np.percentile(d, 2.5)), 4),
                                   round(float(np.percentile(d, 97.5)), 4)]}  # fmt: skip
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("a", type=Path)
    p.add_argument("b", type=Path)
    p.add_argument("--seeds", default="101-105")
    p.add_argument("--images", type=int, default=200)
    p.add_argument("--cache", type=Path, default=Path("runs/heldout-data"))
    p.add_argument("--draws", type=int, default=300)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args()
    seeds = _seed_list(args.seeds)
    ra = rows_of(args.a, seeds, args.images, args.cache)
    rb = rows_of(args.b, seeds, args.images, args.cache)
    report = {"A": str(args.a), "B": str(args.b), "seeds": seeds, "images": len(ra),
              "draws": args.draws, "per_class": paired(ra, rb, args.draws)}  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    for name, row in report["per_class"].items():
        lo, hi = row["diff_95ci"]
        print(f"{name:12s} A {row['A']:.3f}  B {row['B']:.3f}  B-A {row['B_minus_A']:+.3f} "
              f"({lo:+.3f} to {hi:+.3f})")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
