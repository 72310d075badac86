"""Where the detector misses: recall at the edge's operating score, by class × object size and by
lighting, with the detector the edge runs (same letterbox, decoding and NMS).

A ground-truth box counts as found when an unused detection of its class overlaps it with
IoU ≥ 0.5. Each missed box gets one cause: merged (a detection of its class overlaps it with
IoU ≥ 0.5 but went to a neighbour), taken for another class (a detection of that class does),
mislocated (some detection overlaps it, but below 0.5), or undetected. Object size is the box's
short side in model-input pixels, the scale the network sees. Lighting comes from the
generator's ``meta/<split>.jsonl`` when the data set has one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from streetorder.contracts.camera import ZoneRules
from streetorder.errors import StreetorderError
from streetorder.models.training import label_path
from streetorder.vocabulary import CLASS_NAMES

#: Upper edges (model-input pixels, exclusive) of the size buckets; the last is open.
SIZE_EDGES = (8, 16, 32, 64)
SIZE_BUCKETS = ("<8", "8-16", "16-32", "32-64", ">=64")
MATCH_IOU = 0.5
#: Below this IoU with every detection a missed box counts as undetected, not mislocated.
TOUCH_IOU = 0.1
MERGED, MISLOCATED, UNDETECTED = "merged", "mislocated", "undetected"
#: The zones' default minimum score, as the edge's zone rules define it.
EDGE_MIN_SCORE: float = ZoneRules.model_fields["min_score"].default


def size_bucket(short_side_px: float) -> str:
    for edge, name in zip(SIZE_EDGES, SIZE_BUCKETS, strict=False):
        if short_side_px < edge:
            return name
    return SIZE_BUCKETS[-1]


def match(
    truth_xyxy: npt.ArrayLike,
    truth_cls: npt.ArrayLike,
    det_xyxy: npt.ArrayLike,
    det_cls: npt.ArrayLike,
    det_score: npt.ArrayLike,
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Masks (truth found, detection used). Detections are taken from the highest score down,
    each to its best-overlapping free truth of its class; each finds at most one."""
    from streetorder.edge.detections import box_iou

    truth = np.asarray(truth_xyxy, np.float32).reshape(-1, 4)
    tcls = np.asarray(truth_cls, np.int64).reshape(-1)
    dets = np.asarray(det_xyxy, np.float32).reshape(-1, 4)
    dcls = np.asarray(det_cls, np.int64).reshape(-1)
    found = np.zeros(len(truth), bool)
    used = np.zeros(len(dets), bool)
    if not len(truth) or not len(dets):
        return found, used
    iou = box_iou(dets, truth)
    iou[dcls[:, None] != tcls[None, :]] = 0.0
    for d in np.argsort(-np.asarray(det_score, np.float32).reshape(-1), kind="stable"):
        row = np.where(found, 0.0, iou[d])
        t = int(row.argmax())
        if row[t] >= MATCH_IOU:
            found[t] = used[d] = True
    return found, used


def miss_causes(
    truth_xyxy: npt.ArrayLike,
    truth_cls: npt.ArrayLike,
    found: npt.NDArray[np.bool_],
    det_xyxy: npt.ArrayLike,
    det_cls: npt.ArrayLike,
) -> list[str | None]:
    """Per truth: None when found, else ``merged``, the class it was taken for, ``mislocated``
    or ``undetected`` (see the module docstring)."""
    from streetorder.edge.detections import box_iou

    truth = np.asarray(truth_xyxy, np.float32).reshape(-1, 4)
    tcls = np.asarray(truth_cls, np.int64).reshape(-1)
    dets = np.asarray(det_xyxy, np.float32).reshape(-1, 4)
    dcls = np.asarray(det_cls, np.int64).reshape(-1)
    iou = box_iou(truth, dets) if len(truth) and len(dets) else np.zeros((len(truth), 0))
    causes: list[str | None] = []
    for t in range(len(truth)):
        if found[t]:
            causes.append(None)
            continue
        overlapping = iou[t] >= MATCH_IOU
        if (overlapping & (dcls == tcls[t])).any():
            causes.append(MERGED)
        elif overlapping.any():  # every overlapping detection is of another class
            causes.append(CLASS_NAMES[int(dcls[np.where(overlapping, iou[t], -1.0).argmax()])])
        elif len(dets) and iou[t].max() >= TOUCH_IOU:
            causes.append(MISLOCATED)
        else:
            causes.append(UNDETECTED)
    return causes


def read_yolo_labels(path: Path, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """(n, 4) pixel boxes and (n,) class ids of one YOLO label file (empty when missing)."""
    rows = []
    if path.is_file():
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = [float(v) for v in line.split()]
            except ValueError:
                row = []
            if len(row) != 5 or not 0 <= row[0] < len(CLASS_NAMES) or row[0] != int(row[0]):
                raise StreetorderError(
                    f"{path}:{n}: expected 'class cx cy w h' with a class id "
                    f"0..{len(CLASS_NAMES) - 1}"
                )
            rows.append(row)
    if not rows:
        return np.zeros((0, 4), np.float32), np.zeros(0, np.int64)
    arr = np.asarray(rows, np.float64)
    cx, cy, bw, bh = arr[:, 1] * width, arr[:, 2] * height, arr[:, 3] * width, arr[:, 4] * height
    boxes = np.column_stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2])
    return boxes.astype(np.float32), arr[:, 0].astype(np.int64)


def read_lighting(folders: Iterable[str]) -> dict[str, str]:
    """Image stem → lighting preset from the generator's meta files beside the split folders."""
    out: dict[str, str] = {}
    for folder in folders:
        split_dir = Path(folder)
        meta = split_dir.parent.parent / "meta" / f"{split_dir.name}.jsonl"
        if meta.is_file():
            for line in meta.read_text(encoding="utf-8").splitlines():
                row = json.loads(line) if line.strip() else {}
                if "image" in row and "lighting" in row:
                    out[str(row["image"])] = str(row["lighting"])
    return out


class _Tally:
    def __init__(self) -> None:
        self.found: dict[tuple[str, str], int] = {}
        self.total: dict[tuple[str, str], int] = {}

    def add(self, key: tuple[str, str], hit: bool) -> None:
        self.total[key] = self.total.get(key, 0) + 1
        self.found[key] = self.found.get(key, 0) + int(hit)

    def row(self, key: tuple[str, str]) -> dict[str, Any]:
        n = self.total.get(key, 0)
        return {"recall": round(self.found[key] / n, 4) if n else None, "instances": n}


def breakdown(
    model: Path | None, images: list[Path], folders: list[str], score: float = EDGE_MIN_SCORE
) -> dict[str, Any]:
    """Recall by class × size and by lighting, the cause of each miss per class, and unmatched
    detections per image.

    ``model`` None is the bundled detector."""
    import cv2

    from streetorder.edge.detect import OnnxDetector

    detector = OnnxDetector(model, threads=2, score_threshold=score)
    lighting = read_lighting(folders)
    tally = _Tally()
    unmatched = dict.fromkeys(CLASS_NAMES, 0)
    causes: dict[str, dict[str, int]] = {name: {} for name in CLASS_NAMES}
    for path in images:
        frame = cv2.imread(str(path))
        if frame is None:
            continue
        h, w = frame.shape[:2]
        truth, tcls = read_yolo_labels(label_path(path), w, h)
        dets = detector(frame)
        found, used = match(truth, tcls, dets.xyxy, dets.class_id, dets.confidence)
        ratio = detector.plan(w, h).ratio
        why = miss_causes(truth, tcls, found, dets.xyxy, dets.class_id)
        for box, cls, hit, cause in zip(truth, tcls, found, why, strict=True):
            name = CLASS_NAMES[int(cls)]
            if cause is not None:
                causes[name][cause] = causes[name].get(cause, 0) + 1
            short = float(min(box[2] - box[0], box[3] - box[1])) * ratio
            tally.add((name, size_bucket(short)), bool(hit))
            tally.add((name, "all"), bool(hit))
            if path.stem in lighting:
                tally.add(("lighting", lighting[path.stem]), bool(hit))
        for cls in dets.class_id[~used]:
            unmatched[CLASS_NAMES[int(cls)]] += 1
    n_images = max(1, len(images))
    return {
        "score_threshold": score,
        "match_iou": MATCH_IOU,
        "size_buckets_px": list(SIZE_BUCKETS),
        "by_class_size": {
            name: {b: tally.row((name, b)) for b in (*SIZE_BUCKETS, "all")} for name in CLASS_NAMES
        },
        "by_lighting": {k[1]: tally.row(k) for k in sorted(tally.total) if k[0] == "lighting"},
        "missed_as": {
            name: dict(sorted(row.items(), key=lambda kv: -kv[1])) for name, row in causes.items()
        },
        "unmatched_detections_per_image": {
            name: round(n / n_images, 3) for name, n in unmatched.items()
        },
    }


def chart(report: dict[str, Any], path: Path) -> None:
    """A class × size recall heat map (instances in each cell), recall by lighting, and the
    causes of the misses per class."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = report["by_class_size"]
    names = list(grid)
    cells = np.array(
        [
            [np.nan if grid[n][b]["recall"] is None else grid[n][b]["recall"] for b in SIZE_BUCKETS]
            for n in names
        ]  # fmt: skip
    )
    light = report["by_lighting"]
    fig, (left, right, causes) = plt.subplots(
        1, 3, figsize=(16, 4), dpi=100, gridspec_kw={"width_ratios": [3, 2, 2]}
    )
    left.imshow(cells, vmin=0, vmax=1, cmap="RdYlGn", aspect="auto")
    left.set_xticks(range(len(SIZE_BUCKETS)), SIZE_BUCKETS)
    left.set_yticks(range(len(names)), names)
    left.set_xlabel("object short side, model-input px")
    for i, n in enumerate(names):
        for j, b in enumerate(SIZE_BUCKETS):
            cell = grid[n][b]
            if cell["instances"]:
                left.text(j, i, f"{cell['recall']:.2f}\n({cell['instances']})", ha="center",
                          va="center", fontsize=7)  # fmt: skip
    left.set_title(f"recall at score ≥ {report['score_threshold']}, IoU ≥ {report['match_iou']}")
    keys = list(light)
    right.barh(range(len(keys)), [light[k]["recall"] for k in keys], color="tab:blue")
    right.set_yticks(range(len(keys)), [f"{k} ({light[k]['instances']})" for k in keys])
    right.set_xlim(0, 1)
    right.set_title("recall by lighting (all classes)")
    _miss_bars(causes, report, names)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _miss_bars(ax: Any, report: dict[str, Any], names: list[str]) -> None:
    """Per class, the share of its objects missed for each cause, stacked."""
    missed = report.get("missed_as", {})
    kinds = ((MERGED, "tab:purple"), ("another class", "tab:orange"),
             (MISLOCATED, "tab:olive"), (UNDETECTED, "tab:red"))  # fmt: skip
    left = np.zeros(len(names))
    for kind, color in kinds:
        shares = []
        for n in names:
            row, total = missed.get(n, {}), report["by_class_size"][n]["all"]["instances"]
            if kind == "another class":
                count = sum(v for k, v in row.items() if k in CLASS_NAMES)
            else:
                count = row.get(kind, 0)
            shares.append(count / total if total else 0.0)
        ax.barh(range(len(names)), shares, left=left, color=color, label=kind)
        left += np.asarray(shares)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()  # same order as the heat map
    ax.set_xlim(0, max(0.5, float(left.max()) * 1.1))
    ax.set_xlabel("share of the class's objects")
    ax.set_title("why objects were missed")
    ax.legend(fontsize=7, loc="lower right")
