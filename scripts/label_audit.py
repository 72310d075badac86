"""Audit the generator's labels against what a detector finds: are the boxes a model cannot
fit boxes of things a camera cannot see?

Regenerates images of a split (training domain: val by default; never a held-out seed), runs
an ONNX detector with the edge's code, and reports per target class:

- recall at the edge's score by the share of the object left visible by others in front;
- how far each label box (the whole object in frame) lies from its unhidden pixels' extent;
- mAP50 scored against the label boxes and against the unhidden extents.

    python scripts/label_audit.py MODEL.onnx --seed 20261207 --split val --images 400 \
        --out out/label-audit
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

from streetorder.models import heldout as H
from streetorder.models.synth.dataset import generate_image
from streetorder.vocabulary import CLASS_NAMES

TARGETS = ("goods", "rack", "table", "stall")
SHARE_BINS = (0.35, 0.5, 0.7, 0.9, 1.01)
EDGE_SCORE = 0.25


def iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def audit_image(det, sample) -> tuple[list[dict], dict, dict]:
    """Per label facts, and the rows scored on label boxes and on unhidden extents."""
    d = det(sample.image)
    dets, dcls, conf = d.xyxy, d.class_id.astype(np.int64), d.confidence
    keep = conf >= EDGE_SCORE
    facts, rows = [], {}
    for kind in ("label", "visible"):
        boxes = [
            lab.box if kind == "label" or lab.visible_box is None else lab.visible_box
            for lab in sample.labels
        ]
        truth = np.array(boxes, np.float64).reshape(-1, 4)
        tcls = np.array([lab.class_id for lab in sample.labels], np.int64)
        rows[kind] = {"tp": H.match_tp(truth, tcls, dets, dcls), "conf": conf.astype(np.float32),
                      "pred_cls": dcls, "target_cls": tcls}  # fmt: skip
    for lab in sample.labels:
        name = CLASS_NAMES[lab.class_id]
        same = [b for b, c in zip(dets[keep], dcls[keep], strict=True) if c == lab.class_id]
        best = float(max((iou(lab.box, b) for b in same), default=0.0))
        best_vis = float(max((iou(lab.visible_box or lab.box, b) for b in same), default=0.0))
        facts.append({
            "class": name, "share": round(lab.visible_share, 3),
            "label_vs_visible_iou": round(iou(lab.box, lab.visible_box or lab.box), 3),
            "best_iou": round(best, 3), "best_iou_visible": round(best_vis, 3),
            "found": bool(best >= 0.5), "box": [round(v, 1) for v in lab.box],
            "visible_box": [round(v, 1) for v in (lab.visible_box or lab.box)],
        })  # fmt: skip
    return facts, rows, {"dets": dets[keep], "cls": dcls[keep], "conf": conf[keep]}


def summarise(facts: list[dict]) -> dict:
    out = {}
    for name in TARGETS:
        mine = [f for f in facts if f["class"] == name]
        if not mine:
            continue
        by_share = {}
        for lo, hi in zip(SHARE_BINS, SHARE_BINS[1:], strict=False):
            group = [f for f in mine if lo <= f["share"] < hi]
            if group:
                by_share[f"{lo:.2f}-{min(hi, 1.0):.2f}"] = {
                    "labels": len(group),
                    "recall": round(float(np.mean([f["found"] for f in group])), 3),
                }
        by_lighting = {
            light: {
                "labels": len(group),
                "recall": round(float(np.mean([f["found"] for f in group])), 3),
            }
            for light in sorted({f["lighting"] for f in mine})
            for group in [[f for f in mine if f["lighting"] == light]]
        }
        far = [f for f in mine if f["label_vs_visible_iou"] < 0.7]
        missed = [f for f in mine if not f["found"]]
        out[name] = {
            "labels": len(mine),
            "recall": round(float(np.mean([f["found"] for f in mine])), 3),
            "recall_by_visible_share": by_share,
            "recall_by_lighting": by_lighting,
            "label_box_far_from_visible_pixels": len(far),
            "recall_of_those": round(float(np.mean([f["found"] for f in far])), 3) if far else None,
            "missed": len(missed),
            "missed_but_visible_extent_found": sum(f["best_iou_visible"] >= 0.5 for f in missed),
            "missed_nothing_over_0.1": sum(f["best_iou"] < 0.1 for f in missed),
        }
    return out


def contact_sheet(crops: list[np.ndarray], path: Path, cols: int = 6) -> None:
    if not crops:
        return
    tile = 200
    rows = (len(crops) + cols - 1) // cols
    sheet = np.full((rows * tile, cols * tile, 3), 255, np.uint8)
    for i, crop in enumerate(crops):
        h, w = crop.shape[:2]
        k = tile / max(h, w)
        small = cv2.resize(crop, (max(1, int(w * k)), max(1, int(h * k))))
        r, c = divmod(i, cols)
        sheet[r * tile : r * tile + small.shape[0], c * tile : c * tile + small.shape[1]] = small
    cv2.imwrite(str(path), sheet)


def crop_of_miss(sample, fact, preds) -> np.ndarray:
    """The missed label (green), its unhidden extent (yellow) and the edge-score boxes (red)."""
    img = sample.image.copy()
    for b, c in zip(preds["dets"], preds["cls"], strict=True):
        x1, y1, x2, y2 = map(int, b)
        cv2.rectangle(img, (x1, y1), (x2, y2), (0, 0, 255), 1)
        cv2.putText(img, CLASS_NAMES[int(c)][:5], (x1, max(8, y1 - 2)),
                    cv2.FONT_HERSHEY_PLAIN, 0.7, (0, 0, 255), 1)  # fmt: skip
    x1, y1, x2, y2 = map(int, fact["box"])
    cv2.rectangle(img, (x1, y1), (x2, y2), (0, 255, 0), 1)
    v = list(map(int, fact["visible_box"]))
    cv2.rectangle(img, (v[0], v[1]), (v[2], v[3]), (0, 255, 255), 1)
    h, w = img.shape[:2]
    pad = 30
    return img[max(0, y1 - pad) : min(h, y2 + pad), max(0, x1 - pad) : min(w, x2 + pad)]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", type=Path)
    p.add_argument("--seed", type=int, default=20261207)
    p.add_argument("--split", default="val", choices=("train", "val"))
    p.add_argument("--images", type=int, default=400)
    p.add_argument("--balanced", action="store_true", default=True)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args()
    from streetorder.edge.detect.onnx_detector import OnnxDetector

    det = OnnxDetector(args.model, threads=2, score_threshold=H.VAL_SCORE,
                       iou_threshold=H.VAL_NMS_IOU, max_det=H.VAL_MAX_DET)  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    facts, rows = [], {"label": [], "visible": []}
    misses: dict[str, list[np.ndarray]] = {n: [] for n in TARGETS}
    for i in range(args.images):
        sample = generate_image(args.seed, args.split, i, balanced=args.balanced)
        mine, r, preds = audit_image(det, sample)
        for kind in rows:
            rows[kind].append(r[kind])
        look = sample.params.get("realism", {})
        for f in mine:
            f["image"] = i
            f["lighting"] = "ir" if look.get("ir_night") else sample.params["lighting"]
            if not f["found"] and f["class"] in misses and len(misses[f["class"]]) < 36:
                misses[f["class"]].append(crop_of_miss(sample, f, preds))
        facts.extend(mine)
        if (i + 1) % 50 == 0:
            print(f"{i + 1}/{args.images} images", file=sys.stderr, flush=True)
    report = {
        "model": str(args.model), "seed": args.seed, "split": args.split, "images": args.images,
        "map50_on_label_boxes": {
            k: round(v[0], 3) for k, v in H.ap_by_class(rows["label"]).items()
        },
        "map50_on_visible_extents": {
            k: round(v[0], 3) for k, v in H.ap_by_class(rows["visible"]).items()
        },
        "by_class": summarise(facts),
    }  # fmt: skip
    (args.out / "report.json").write_text(
        json.dumps(report, indent=1, default=lambda o: o.item()) + "\n"
    )
    (args.out / "labels.jsonl").write_text("".join(json.dumps(f) + "\n" for f in facts))
    for name, crops in misses.items():
        contact_sheet(crops, args.out / f"missed-{name}.png")
    print(json.dumps(report, indent=1, default=lambda o: o.item()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
