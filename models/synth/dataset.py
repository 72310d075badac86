"""Write a YOLO-format image data set (train / val / test) from the scene generator.

Image ``i`` of split ``s`` is drawn from ``default_rng([seed, s, i])`` alone, so any image can be
regenerated on its own, in any order or process, with identical bytes. ``train`` and ``val`` come
from the training domain, ``test`` from the held-out domain (see ``params``).

Since generator 1.3 every split also gets unlabelled hard negatives in the frontage
(``hard_negatives``) and the camera realism of ``realism``; train images alone get cut-and-paste
objects (``composite``). These draw from a second stream, ``default_rng([seed, s, i, 1])``, so
the scene and effects draws of the first stream are unchanged.
"""

from __future__ import annotations

import json
import multiprocessing as mp
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from streetorder.models.synth import GENERATOR_VERSION
from streetorder.models.synth.composite import paste_objects
from streetorder.models.synth.effects import apply, sample_effects
from streetorder.models.synth.hard_negatives import add_hard_negatives
from streetorder.models.synth.params import sample_params
from streetorder.models.synth.realism import finish, sample_realism, shade
from streetorder.models.synth.scene import (
    Label,
    build_background,
    make_camera,
    populate,
    render,
)
from streetorder.vocabulary import CLASS_NAMES

SPLITS = {"train": (0, "train"), "val": (1, "train"), "test": (2, "heldout")}
JPEG_QUALITY = 92


@dataclass(frozen=True)
class Sample:
    image: np.ndarray  # uint8 BGR
    labels: list[Label]
    params: dict


def generate_image(
    seed: int, split: str, index: int, width: int = 640, height: int = 360, balanced: bool = False
) -> Sample:
    """One labelled street image, a pure function of (seed, split, index, size, balanced)."""
    code, domain = SPLITS[split]
    rng = np.random.default_rng([seed, code, index])
    extra = np.random.default_rng([seed, code, index, 1])
    params = sample_params(rng, domain)
    camera = make_camera(params, width, height, x=float(rng.uniform(-5, 5)))
    scene = build_background(rng, params, camera)
    populate(rng, scene, balanced)
    negatives = add_hard_negatives(extra, scene)
    img, emissive, labels = render(scene)
    pasted: list[str] = []
    if split == "train":
        img, labels, pasted = paste_objects(extra, scene, img, labels, width, height)
    look = sample_realism(extra, params)
    img = shade(img, look, extra)
    fx = sample_effects(rng, params)
    frame = finish(apply(img, emissive, fx, rng, compress=look.codec == "keep"), look)
    meta = {**params.as_dict(), "realism": look.as_dict(), "hard_negatives": negatives}
    return Sample(frame, labels, {**meta, "pasted": pasted})


def yolo_lines(labels: list[Label], width: int, height: int) -> list[str]:
    out = []
    for lab in labels:
        x1, y1, x2, y2 = lab.box
        cx, cy = (x1 + x2) / 2 / width, (y1 + y2) / 2 / height
        out.append(
            f"{lab.class_id} {cx:.6f} {cy:.6f} {(x2 - x1) / width:.6f} {(y2 - y1) / height:.6f}"
        )
    return out


def _write_one(job: tuple[Path, int, str, int, int, int, bool]) -> tuple[str, int, dict, list[int]]:
    out, seed, split, index, width, height, balanced = job
    sample = generate_image(seed, split, index, width, height, balanced)
    stem = f"{split}_{index:06d}"
    ok, buf = cv2.imencode(".jpg", sample.image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise RuntimeError(f"could not encode {stem}")
    (out / "images" / split / f"{stem}.jpg").write_bytes(buf.tobytes())
    lines = yolo_lines(sample.labels, width, height)
    (out / "labels" / split / f"{stem}.txt").write_text("\n".join(lines) + ("\n" if lines else ""))
    return stem, index, sample.params, [lab.class_id for lab in sample.labels]


def write_dataset(
    out: Path,
    seed: int,
    counts: dict[str, int],
    width: int = 640,
    height: int = 360,
    workers: int = 2,
    progress: bool = True,
    balanced: bool = False,
) -> Path:
    """Generate the splits into ``out`` and return the data YAML path.

    ``balanced`` over-samples racks, tables and stalls in train and val (never in test).
    """
    from tqdm import tqdm

    out = Path(out)
    for split in counts:
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; expected one of {sorted(SPLITS)}")
        (out / "images" / split).mkdir(parents=True, exist_ok=True)
        (out / "labels" / split).mkdir(parents=True, exist_ok=True)
    (out / "meta").mkdir(parents=True, exist_ok=True)
    jobs = [(out, seed, s, i, width, height, balanced) for s, n in counts.items() for i in range(n)]
    per_class = {s: [0] * len(CLASS_NAMES) for s in counts}
    metas: dict[str, list[dict]] = {s: [] for s in counts}
    bar = tqdm(total=len(jobs), desc="synth", unit="img", disable=not progress)
    ctx = mp.get_context("fork")
    with ctx.Pool(max(1, workers)) if workers > 1 else _Serial() as pool:
        for stem, _index, params, classes in pool.imap(_write_one, jobs, chunksize=4):
            split = stem.rsplit("_", 1)[0]
            metas[split].append({"image": stem, **params})
            for c in classes:
                per_class[split][c] += 1
            bar.update()
    bar.close()
    for split, rows in metas.items():
        with open(out / "meta" / f"{split}.jsonl", "w") as fh:
            for row in rows:
                fh.write(json.dumps(row, sort_keys=True) + "\n")
    data_yaml = out / "data.yaml"
    names = "\n".join(f"  {i}: {n}" for i, n in enumerate(CLASS_NAMES))
    lines = [f"path: {out.resolve()}"]
    for split in ("train", "val", "test"):
        if split in counts:
            lines.append(f"{split}: images/{split}")
    data_yaml.write_text("\n".join(lines) + f"\nnames:\n{names}\n")
    summary = {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "balanced": balanced,
        "image_size": [width, height],
        "counts": counts,
        "instances": {s: dict(zip(CLASS_NAMES, v, strict=True)) for s, v in per_class.items()},
    }
    (out / "generator.json").write_text(json.dumps(summary, indent=2) + "\n")
    return data_yaml


class _Serial:
    """A stand-in for a process pool when workers=1."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def imap(self, fn, jobs, chunksize=1):
        return map(fn, jobs)
