"""Accuracy (mAP per class on a split) and latency (onnxruntime alone) of an ONNX detector."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

from streetorder.errors import StreetorderError
from streetorder.models.training import label_path, offline_environment, read_data_yaml
from streetorder.vocabulary import CLASS_NAMES

#: Classes with an mAP50 target on the held-out split (issue 3).
TARGET_CLASSES = ("goods", "rack", "table", "stall")
TARGET_MAP50 = 0.90
TARGET_LATENCY_MS = 12.0


def accuracy(model: Path, data: Path, split: str, batch: int, workdir: Path) -> dict[str, Any]:
    """Ultralytics' validator on the ONNX model: overall and per-class mAP50 / mAP50-95.

    Every class is reported; one without instances in the split has ``None`` metrics.
    """
    offline_environment(workdir)
    resolved = read_data_yaml(data)
    if split not in resolved:
        raise StreetorderError(f"{data}: has no '{split}' split")
    from ultralytics import YOLO

    net = YOLO(str(model), task="detect")
    res = net.val(
        data=str(data),
        split=split,
        batch=batch,
        device="cpu",
        plots=False,
        project=str(workdir),
        name="val",
        exist_ok=True,
        verbose=False,
    )
    box = res.box
    per_class: dict[str, dict[str, float | int]] = {}
    counts = _instances(resolved[split])
    present = [int(i) for i in box.ap_class_index]
    for k, cls in enumerate(present):
        p, r, ap50, ap = box.class_result(k)
        per_class[CLASS_NAMES[cls]] = {
            "mAP50": round(float(ap50), 4),
            "mAP50-95": round(float(ap), 4),
            "precision": round(float(p), 4),
            "recall": round(float(r), 4),
            "instances": counts.get(cls, 0),
        }
    absent = {"mAP50": None, "mAP50-95": None, "precision": None, "recall": None}
    ordered = {
        n: per_class.get(n, {**absent, "instances": counts.get(i, 0)})
        for i, n in enumerate(CLASS_NAMES)
    }
    return {
        "overall": {
            "mAP50": round(float(box.map50), 4),
            "mAP50-95": round(float(box.map), 4),
            "precision": round(float(box.mp), 4),
            "recall": round(float(box.mr), 4),
        },
        "per_class": ordered,
        "images": sum(1 for _ in _images(resolved[split])),
    }


def _images(folders: list[str]):
    for folder in folders:
        root = Path(folder)
        if root.is_dir():
            yield from (p for p in sorted(root.rglob("*")) if p.suffix.lower() in (".jpg", ".png"))


def _instances(folders: list[str]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for img in _images(folders):
        label = label_path(img)
        if label.is_file():
            for line in label.read_text().splitlines():
                if line.strip():
                    c = int(line.split()[0])
                    counts[c] = counts.get(c, 0) + 1
    return counts


def latency(model: Path, images: list[Path], threads: int, runs: int) -> dict[str, Any]:
    """Milliseconds per frame of the bare onnxruntime session (letterboxed real frames)."""
    import cv2
    import numpy as np
    import onnxruntime as ort

    from streetorder.edge.detect.onnx_detector import OnnxDetector

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(str(model), opts, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    edge = OnnxDetector(model, threads=1)  # its preprocess: the edge's exact letterbox and blob
    h, w = edge.imgsz
    blobs = []
    for path in images[:16] or [None]:
        frame = cv2.imread(str(path)) if path is not None else None
        if frame is None:
            frame = np.full((h, w, 3), 114, np.uint8)
        blobs.append(edge.preprocess(frame)[0])
    for i in range(20):
        sess.run(None, {inp.name: blobs[i % len(blobs)]})
    times = []
    for i in range(runs):
        t0 = time.perf_counter()
        sess.run(None, {inp.name: blobs[i % len(blobs)]})
        times.append((time.perf_counter() - t0) * 1000.0)
    times.sort()
    return {
        "threads": threads,
        "runs": runs,
        "input": list(blobs[0].shape),
        "median": round(statistics.median(times), 3),
        "mean": round(statistics.fmean(times), 3),
        "p90": round(times[int(0.9 * (len(times) - 1))], 3),
        "min": round(times[0], 3),
    }


def evaluate(
    model: Path,
    data: Path,
    split: str,
    out: Path,
    threads: int = 2,
    runs: int = 200,
    batch: int = 16,
) -> dict[str, Any]:
    """Write ``eval.json``, ``eval.png`` and ``eval-recall.png`` into ``out``; return the report."""
    model, out = Path(model), Path(out)
    if not model.is_file():
        raise StreetorderError(f"{model}: model not found")
    out.mkdir(parents=True, exist_ok=True)
    acc = accuracy(model, Path(data), split, batch, out)
    folders = read_data_yaml(Path(data))[split]
    images = list(_images(folders))
    lat = latency(model, images, threads, runs)
    from streetorder.models import recall_breakdown

    misses = recall_breakdown.breakdown(model, images, folders)
    report = {
        "model": str(model),
        "data": str(data),
        "split": split,
        **acc,
        "latency_ms": lat,
        "recall_breakdown": misses,
        "targets": {
            "mAP50": {c: TARGET_MAP50 for c in TARGET_CLASSES},
            "latency_ms": TARGET_LATENCY_MS,
            "met": {
                **{
                    c: (acc["per_class"][c]["mAP50"] or 0.0) >= TARGET_MAP50 for c in TARGET_CLASSES
                },
                "latency": lat["median"] <= TARGET_LATENCY_MS,
            },
        },
    }
    (out / "eval.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    chart(report, out / "eval.png")
    recall_breakdown.chart(misses, out / "eval-recall.png")
    return report


def chart(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    names = [n for n, row in report["per_class"].items() if row["mAP50"] is not None]
    m50 = [report["per_class"][n]["mAP50"] for n in names]
    m95 = [report["per_class"][n]["mAP50-95"] for n in names]
    x = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
    ax.bar(x - 0.2, m50, 0.4, label="mAP50")
    ax.bar(x + 0.2, m95, 0.4, label="mAP50-95")
    ax.axhline(TARGET_MAP50, color="red", linestyle="--", linewidth=1, label="target mAP50")
    ax.set_xticks(x, names, rotation=20)
    ax.set_ylim(0, 1)
    lat = report["latency_ms"]
    ax.set_title(
        f"{Path(report['model']).name} on {report['split']} ({report['images']} images); "
        f"ONNX {lat['median']:.1f} ms/frame, {lat['threads']} threads"
    )
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
