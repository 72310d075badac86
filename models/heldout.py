"""The held-out image benchmark: mAP per class over several generator seeds, with 95 % intervals.

For each seed the held-out ``test`` split (facades, camera angles and lighting training never
draws) is generated once into a cache; the ONNX model runs through the edge's own detector code
(letterbox, decoding, NMS) at the validation settings of Ultralytics (score ≥ 0.001, NMS IoU
0.7, 300 boxes), and predictions are matched to the truth as Ultralytics' validator does (per
IoU threshold 0.50..0.95, best overlaps first). AP is Ultralytics' ``ap_per_class`` on the pooled
images. The 95 % interval of each class's mAP50 comes from a bootstrap over images (resampled
with replacement); the spread over seeds is reported too. By lighting: mAP50 per class on the
images of each lighting (night scenes seen in IR mode count as ``ir_night``). By object size:
recall at the edge's zone score with the short side in model-input pixels.

Seeds used here must never choose a model, recipe or threshold (use the training domain).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from streetorder.models.recall_breakdown import (
    EDGE_MIN_SCORE,
    SIZE_BUCKETS,
    match,
    read_yolo_labels,
    size_bucket,
)
from streetorder.vocabulary import CLASS_NAMES

IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)
VAL_SCORE, VAL_NMS_IOU, VAL_MAX_DET = 0.001, 0.7, 300
DEFAULT_SEEDS = (101, 102, 103, 104, 105)


def heldout_data(cache: Path, seed: int, images: int, size=(640, 360), workers: int = 2) -> Path:
    """The held-out test split of ``seed`` (``images`` images) in ``cache``; generated once."""
    from streetorder.models.synth import GENERATOR_VERSION
    from streetorder.models.synth.dataset import write_dataset

    out = Path(cache) / f"test-{GENERATOR_VERSION}-{seed}-{images}-{size[0]}x{size[1]}"
    if (out / "generator.json").is_file():
        return out
    write_dataset(out, seed, {"test": images}, size[0], size[1], workers=workers, progress=False)
    return out


def match_tp(truth: np.ndarray, tcls: np.ndarray, dets: np.ndarray, dcls: np.ndarray):
    """(n_det, 10) bool: detection is a true positive at each IoU threshold (Ultralytics' rule)."""
    from streetorder.edge.detections import box_iou

    correct = np.zeros((len(dets), len(IOU_THRESHOLDS)), bool)
    if not len(truth) or not len(dets):
        return correct
    iou = box_iou(truth, dets) * (tcls[:, None] == dcls[None, :])
    for i, thr in enumerate(IOU_THRESHOLDS):
        m = np.array(np.nonzero(iou >= thr)).T
        if len(m) > 1:
            m = m[iou[m[:, 0], m[:, 1]].argsort()[::-1]]
            m = m[np.unique(m[:, 1], return_index=True)[1]]
            m = m[np.unique(m[:, 0], return_index=True)[1]]
        if len(m):
            correct[m[:, 1], i] = True
    return correct


def predict_folder(detector, folder: Path, seed: int) -> list[dict[str, Any]]:
    """Per image of ``folder``'s test split: matches, scores, classes, lighting, truth sizes."""
    import cv2

    meta = {}
    meta_file = folder / "meta" / "test.jsonl"
    if meta_file.is_file():
        for line in meta_file.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            ir = row.get("realism", {}).get("ir_night")
            meta[row["image"]] = "ir_night" if ir else row.get("lighting", "?")
    in_h, in_w = detector.imgsz
    rows = []
    for img_path in sorted((folder / "images" / "test").glob("*.jpg")):
        frame = cv2.imread(str(img_path))
        h, w = frame.shape[:2]
        label = folder / "labels" / "test" / f"{img_path.stem}.txt"
        truth, tcls = read_yolo_labels(label, w, h)
        det = detector(frame)
        dets, dcls, conf = det.xyxy, det.class_id.astype(np.int64), det.confidence
        keep = conf >= EDGE_MIN_SCORE
        found, _ = match(truth, tcls, dets[keep], dcls[keep], conf[keep])
        scale = min(in_w / w, in_h / h)
        short = np.minimum(truth[:, 2] - truth[:, 0], truth[:, 3] - truth[:, 1]) * scale
        rows.append({
            "seed": seed, "image": img_path.stem, "lighting": meta.get(img_path.stem, "?"),
            "tp": match_tp(truth, tcls, dets, dcls), "conf": conf.astype(np.float32),
            "pred_cls": dcls, "target_cls": tcls, "found": found,
            "sizes": [size_bucket(float(s)) for s in short],
        })  # fmt: skip
    return rows


def ap_by_class(rows: list[dict[str, Any]]) -> dict[str, tuple[float, float, int]]:
    """Class name → (mAP50, mAP50-95, instances) over ``rows`` pooled (classes with truth only)."""
    from ultralytics.utils.metrics import ap_per_class

    target = np.concatenate([r["target_cls"] for r in rows]) if rows else np.zeros(0, int)
    if not len(target):
        return {}
    tp = np.concatenate([r["tp"] for r in rows])
    conf = np.concatenate([r["conf"] for r in rows])
    pred = np.concatenate([r["pred_cls"] for r in rows])
    out = ap_per_class(tp, conf, pred, target)
    ap, classes = out[5], out[6]
    counts = np.bincount(target, minlength=len(CLASS_NAMES))
    return {
        CLASS_NAMES[int(c)]: (float(ap[i, 0]), float(ap[i].mean()), int(counts[int(c)]))
        for i, c in enumerate(classes)
    }


def bootstrap_map50(rows, draws: int = 300, seed: int = 0) -> dict[str, list[float]]:
    """Class → [2.5 %, 97.5 %] of mAP50 over ``draws`` resamplings of the images; "all" too."""
    rng = np.random.default_rng(seed)
    samples: dict[str, list[float]] = {}
    for _ in range(draws):
        picks = rng.integers(0, len(rows), len(rows))
        table = ap_by_class([rows[i] for i in picks])
        for name, (m50, _, _) in table.items():
            samples.setdefault(name, []).append(m50)
        if table:
            samples.setdefault("all", []).append(float(np.mean([v[0] for v in table.values()])))
    return {
        k: [round(float(np.percentile(v, 2.5)), 3), round(float(np.percentile(v, 97.5)), 3)]
        for k, v in samples.items()
    }


def recall_by_size(rows) -> dict[str, dict[str, Any]]:
    """Class → size bucket → [found, total, recall] at the edge's zone score."""
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        for c, size, hit in zip(r["target_cls"], r["sizes"], r["found"], strict=True):
            cell = out.setdefault(CLASS_NAMES[int(c)], {}).setdefault(size, [0, 0])
            cell[0] += int(hit)
            cell[1] += 1
    return {
        name: {s: [v[0], v[1], round(v[0] / v[1], 3)] for s in SIZE_BUCKETS if (v := by.get(s))}
        for name, by in out.items()
    }


def benchmark(
    model: Path,
    seeds: list[int],
    images: int,
    cache: Path,
    out: Path,
    draws: int = 300,
    workers: int = 2,
    size: tuple[int, int] = (640, 360),
) -> dict[str, Any]:
    """Run the benchmark; writes ``heldout.json`` into ``out`` and returns the report."""
    from streetorder.edge.detect.onnx_detector import OnnxDetector

    started = time.monotonic()
    detector = OnnxDetector(
        Path(model),
        threads=2,
        score_threshold=VAL_SCORE,
        iou_threshold=VAL_NMS_IOU,
        max_det=VAL_MAX_DET,
    )
    rows: list[dict[str, Any]] = []
    per_seed = {}
    for seed in seeds:
        folder = heldout_data(cache, seed, images, size, workers)
        seed_rows = predict_folder(detector, folder, seed)
        per_seed[str(seed)] = {k: round(v[0], 4) for k, v in ap_by_class(seed_rows).items()}
        rows += seed_rows
    pooled = ap_by_class(rows)
    interval = bootstrap_map50(rows, draws)
    lightings = sorted({r["lighting"] for r in rows})
    report = {
        "model": str(model),
        "seeds": list(seeds),
        "images": len(rows),
        "objects": int(sum(len(r["target_cls"]) for r in rows)),
        "per_class": {
            name: {
                "mAP50": round(m50, 4),
                "mAP50_95ci": interval.get(name),
                "mAP50-95": round(m, 4),
                "instances": n,
                "mAP50_by_seed": [per_seed[str(s)].get(name) for s in seeds],
            }
            for name, (m50, m, n) in pooled.items()
        },
        "mAP50_all": round(float(np.mean([v[0] for v in pooled.values()])), 4) if pooled else None,
        "mAP50_all_95ci": interval.get("all"),
        "mAP50_by_lighting": {
            light: {
                "images": sum(r["lighting"] == light for r in rows),
                **{
                    k: round(v[0], 3)
                    for k, v in ap_by_class([r for r in rows if r["lighting"] == light]).items()
                },
            }
            for light in lightings
        },  # fmt: skip
        "recall_by_size": {"score": EDGE_MIN_SCORE, **recall_by_size(rows)},
        "bootstrap_draws": draws,
        "wall_seconds": round(time.monotonic() - started, 1),
    }
    Path(out).mkdir(parents=True, exist_ok=True)
    (Path(out) / "heldout.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def markdown(report: dict[str, Any], other: dict[str, Any] | None = None) -> str:
    """The report as model-card tables; ``other`` (an earlier model's report on the same seeds)
    adds a comparison column."""
    from streetorder.models.evaluate import TARGET_CLASSES, TARGET_MAP50

    def ci(row):
        lo, hi = row.get("mAP50_95ci") or (None, None)
        return "—" if lo is None else f"{lo:.3f}–{hi:.3f}"

    head = "| class | objects | mAP50 | 95 % interval | seeds min–max | mAP50-95 | target |"
    lines = [head + (" other model |" if other else ""), "|---|---:|---:|---|---|---:|---|"]
    lines[-1] += "---:|" if other else ""
    for name, row in report["per_class"].items():
        seeds = [v for v in row["mAP50_by_seed"] if v is not None]
        spread = f"{min(seeds):.3f}–{max(seeds):.3f}" if seeds else "—"
        target = "—"
        if name in TARGET_CLASSES:
            target = "met" if row["mAP50"] >= TARGET_MAP50 else f"≥ {TARGET_MAP50} missed"
        cells = [f"`{name}`", row["instances"], f"{row['mAP50']:.3f}", ci(row), spread,
                 f"{row['mAP50-95']:.3f}", target]  # fmt: skip
        if other:
            o = other["per_class"].get(name, {}).get("mAP50")
            cells.append("—" if o is None else f"{o:.3f}")
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    lo, hi = report.get("mAP50_all_95ci") or (0.0, 0.0)
    mean = f"| **mean of classes** | {report['objects']} | **{report['mAP50_all']:.3f}** | "
    mean += f"{lo:.3f}–{hi:.3f} | | | |"
    lines.append(mean + (f" {other['mAP50_all']:.3f} |" if other else ""))
    names = list(report["per_class"])
    lines += ["", "| lighting | images | " + " | ".join(names) + " |",
              "|---|---:|" + "---:|" * len(names)]  # fmt: skip
    for light, row in report["mAP50_by_lighting"].items():
        cells = [light, row["images"], *(row.get(n, "—") for n in names)]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    sizes = report["recall_by_size"]
    lines += [
        "",
        f"Recall at the edge's zone score {sizes['score']} by the object's short side "
        "at the model input (found/total):",
        "",
        "| class | " + " | ".join(SIZE_BUCKETS) + " |",
        "|---|" + "---:|" * len(SIZE_BUCKETS),
    ]
    for name in names:
        by = sizes.get(name, {})
        cells = [
            f"{by[s][2]:.2f} ({by[s][0]}/{by[s][1]})" if s in by else "—" for s in SIZE_BUCKETS
        ]
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
