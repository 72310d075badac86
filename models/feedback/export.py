"""Reviews become training data: confirmed alerts are labelled images, rejected ones negatives.

For every reviewed camera alert with a stored clean frame:

- **confirmed** (the case was confirmed, whatever happened later): the frame, labelled in YOLO
  format with the alert's detected objects (``class cx cy w h``, relative to the frame size);
- **rejected** (a false positive): the frame with an *empty* label file, a hard negative.

The output has the layout of ``models.synth.dataset`` (``images/{train,val}``,
``labels/{train,val}``, ``data.yaml`` with the vocabulary's names), so ``streetorder models
train --data DIR/data.yaml`` takes it as it is, and ``reviews.jsonl`` says where each image came
from. Images go to ``val`` by a hash of the alert id, so the split is stable across exports.

Only the alert's own objects are labelled; other things in the frame (people, bicycles, goods
outside the zone) are unlabelled, so mix these images with the synthetic set when training.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streetorder.errors import StreetorderError
from streetorder.vocabulary import CLASS_IDS, CLASS_NAMES

MANIFEST = "reviews.jsonl"


@dataclass(frozen=True)
class ReviewedFrame:
    """One exportable frame: what the reviewer said and what the edge detected."""

    alert_id: str
    case_number: str
    verdict: str  # "confirmed" | "rejected"
    reason: str
    frame_size: tuple[int, int]
    objects: tuple[dict[str, Any], ...]
    file_id: int  # the clean frame, GET /api/v1/evidence/{file_id}
    sha256: str
    model_version: str


@dataclass
class ExportReport:
    out: Path
    data_yaml: Path
    images: dict[str, int] = field(default_factory=lambda: {"train": 0, "val": 0})
    positives: int = 0
    negatives: int = 0
    boxes: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, why: str) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + 1

    def summary(self) -> str:
        skipped = ", ".join(f"{n} {why}" for why, n in sorted(self.skipped.items())) or "none"
        return (
            f"{self.positives} confirmed ({self.boxes} boxes) + {self.negatives} rejected "
            f"(hard negatives): train {self.images['train']}, val {self.images['val']}; "
            f"skipped: {skipped}; data: {self.data_yaml}"
        )


def yolo_label_lines(
    objects: tuple[dict[str, Any], ...] | list[dict[str, Any]], frame_size: tuple[int, int]
) -> tuple[list[str], list[str]]:
    """YOLO lines for detected objects, and the class names that are not in the vocabulary.

    Boxes are clipped to the frame; a box with no area left is dropped.

    Raises:
        ValueError: the frame size is not positive.
    """
    width, height = frame_size
    if width <= 0 or height <= 0:
        raise ValueError(f"frame size {frame_size} must be positive")
    lines, unknown = [], []
    for obj in objects:
        name = obj["class_name"]
        if name not in CLASS_IDS:
            unknown.append(name)
            continue
        x1, y1, x2, y2 = (float(v) for v in obj["box_xyxy"])
        x1, x2 = sorted((min(max(x1, 0.0), width), min(max(x2, 0.0), width)))
        y1, y2 = sorted((min(max(y1, 0.0), height), min(max(y2, 0.0), height)))
        if x2 - x1 < 1 or y2 - y1 < 1:
            continue
        cx, cy = (x1 + x2) / 2 / width, (y1 + y2) / 2 / height
        lines.append(
            f"{CLASS_IDS[name]} {cx:.6f} {cy:.6f} {(x2 - x1) / width:.6f} {(y2 - y1) / height:.6f}"
        )
    return lines, unknown


def split_of(alert_id: str, val_share: float) -> str:
    """``val`` for a stable ``val_share`` of alert ids, else ``train``."""
    bucket = int(hashlib.sha256(alert_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "val" if bucket < val_share else "train"


def frames_of(rows: list[dict[str, Any]]) -> list[ReviewedFrame]:
    """Reviewed frames as the platform's ``GET /api/v1/reviews/frames`` lists them."""
    return [
        ReviewedFrame(
            alert_id=r["alert_id"],
            case_number=r["case_number"],
            verdict=r["verdict"],
            reason=r["reason"],
            frame_size=(int(r["frame_size"][0]), int(r["frame_size"][1])),
            objects=tuple(r["objects"]),
            file_id=int(r["file_id"]),
            sha256=r["sha256"],
            model_version=r["model_version"],
        )  # fmt: skip
        for r in rows
    ]


def _prepare(out: Path, force: bool) -> None:
    if out.exists() and any(out.iterdir()):
        if not (out / MANIFEST).exists():
            raise StreetorderError(
                f"{out} is not empty and is not an earlier export; choose an empty folder"
            )
        if not force:
            raise StreetorderError(f"{out} holds an earlier export; pass --force to replace it")
        for sub in ("images", "labels"):
            shutil.rmtree(out / sub, ignore_errors=True)
    for split in ("train", "val"):
        (out / "images" / split).mkdir(parents=True, exist_ok=True)
        (out / "labels" / split).mkdir(parents=True, exist_ok=True)


def write_export(
    frames: list[ReviewedFrame],
    read: Any,
    out: Path,
    *,
    val_share: float = 0.2,
    force: bool = False,
) -> ExportReport:
    """Write the data set; ``read(file_id) -> bytes`` fetches a stored frame.

    Raises:
        StreetorderError: nothing to export, or ``out`` is not a folder we may write.
    """
    if not 0 <= val_share < 1:
        raise StreetorderError(f"--val-share {val_share} must be in [0, 1)")
    if not frames:
        raise StreetorderError("no reviewed alerts with a stored clean frame to export")
    out = Path(out)
    _prepare(out, force)
    report = ExportReport(out=out, data_yaml=out / "data.yaml")
    rows = []
    written: list[tuple[str, str]] = []
    for frame in frames:
        try:
            data = read(frame.file_id)
        except (OSError, ValueError, KeyError):
            report.skip("frames missing from the evidence store")
            continue
        if hashlib.sha256(data).hexdigest() != frame.sha256:
            report.skip("frames whose bytes no longer match their sha256")
            continue
        if frame.verdict == "confirmed":
            lines, unknown = yolo_label_lines(frame.objects, frame.frame_size)
            if unknown:
                report.skip("objects of classes outside the vocabulary")
            if not lines:
                report.skip("confirmed alerts without a usable box")
                continue
            report.positives += 1
            report.boxes += len(lines)
        else:
            lines = []
            report.negatives += 1
        split = split_of(frame.alert_id, val_share)
        stem = frame.alert_id
        (out / "images" / split / f"{stem}.jpg").write_bytes(data)
        (out / "labels" / split / f"{stem}.txt").write_text("".join(f"{x}\n" for x in lines))
        written.append((split, stem))
        report.images[split] += 1
        rows.append(
            {
                "image": f"images/{split}/{stem}.jpg",
                "alert_id": frame.alert_id,
                "case": frame.case_number,
                "verdict": frame.verdict,
                "reason": frame.reason,
                "boxes": len(lines),
                "sha256": frame.sha256,
                "model": frame.model_version,
            }
        )
    if not written:
        raise StreetorderError(f"nothing exported: {report.summary()}")
    if report.images["val"] == 0 and val_share > 0 and len(written) > 1:
        _move_to_val(out, written[-1][1], report, rows)
    _write_yaml(out, report)
    with open(out / MANIFEST, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    return report


def _move_to_val(out: Path, stem: str, report: ExportReport, rows: list[dict]) -> None:
    """Training needs a validation image; with few images the hash may give none."""
    for kind, ext in (("images", ".jpg"), ("labels", ".txt")):
        (out / kind / "train" / f"{stem}{ext}").rename(out / kind / "val" / f"{stem}{ext}")
    report.images["train"] -= 1
    report.images["val"] += 1
    for row in rows:
        if row["alert_id"] == stem:
            row["image"] = f"images/val/{stem}.jpg"


def _write_yaml(out: Path, report: ExportReport) -> None:
    names = "\n".join(f"  {i}: {n}" for i, n in enumerate(CLASS_NAMES))
    report.data_yaml.write_text(
        f"path: {out.resolve()}\ntrain: images/train\nval: images/val\nnames:\n{names}\n"
    )
