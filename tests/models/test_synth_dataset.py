"""The image generator: deterministic, valid labels, a held-out split outside training's domain."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from streetorder.models.synth.dataset import generate_image, write_dataset, yolo_lines
from streetorder.models.synth.params import (
    HELDOUT_FACADE_STYLES,
    HELDOUT_LIGHTING,
    TRAIN_FACADE_STYLES,
    sample_params,
    yaw_bin,
    yaw_bin_is_heldout,
)
from streetorder.models.synth.scene import build_background, make_camera, populate
from streetorder.vocabulary import CLASS_NAMES

W, H = 320, 180


def _digest(path: Path) -> dict[str, str]:
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
        and p.suffix in (".jpg", ".txt", ".jsonl", ".yaml", ".json")
        and p.name != "data.yaml"  # holds the absolute output path
    }


def test_same_seed_same_bytes_and_labels() -> None:
    a = generate_image(7, "train", 3, W, H)
    b = generate_image(7, "train", 3, W, H)
    assert a.image.tobytes() == b.image.tobytes()
    assert a.labels == b.labels and a.params == b.params
    c = generate_image(8, "train", 3, W, H)
    assert c.image.tobytes() != a.image.tobytes()


def test_written_data_set_is_reproducible_in_any_worker_count(tmp_path: Path) -> None:
    counts = {"train": 4, "val": 2, "test": 2}
    write_dataset(tmp_path / "a", 11, counts, W, H, workers=1, progress=False)
    write_dataset(tmp_path / "b", 11, counts, W, H, workers=2, progress=False)
    da, db = _digest(tmp_path / "a"), _digest(tmp_path / "b")
    assert len([k for k in da if k.endswith(".jpg")]) == 8
    assert da == db
    yaml_text = (tmp_path / "a" / "data.yaml").read_text()
    for i, name in enumerate(CLASS_NAMES):
        assert f"{i}: {name}" in yaml_text


@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_labels_are_inside_the_image_and_known_classes(split: str) -> None:
    seen = set()
    for i in range(12):
        s = generate_image(5, split, i, W, H)
        assert s.image.shape == (H, W, 3) and s.image.dtype == np.uint8
        for lab in s.labels:
            x1, y1, x2, y2 = lab.box
            assert 0 <= x1 < x2 <= W and 0 <= y1 < y2 <= H, lab
            assert 0 <= lab.class_id < len(CLASS_NAMES)
            seen.add(lab.class_id)
        for line in yolo_lines(s.labels, W, H):
            c, cx, cy, bw, bh = line.split()
            assert int(c) in range(len(CLASS_NAMES))
            assert all(0.0 <= float(v) <= 1.0 for v in (cx, cy, bw, bh))
    assert len(seen) >= 3, "a dozen street scenes should show several classes"


def test_heldout_parameters_never_come_from_the_training_domain() -> None:
    rng = np.random.default_rng(3)
    for _ in range(300):
        p = sample_params(rng, "train")
        assert p.facade_style in TRAIN_FACADE_STYLES
        assert not yaw_bin_is_heldout(yaw_bin(p.yaw_deg))
        assert p.lighting not in HELDOUT_LIGHTING
        q = sample_params(rng, "heldout")
        assert q.facade_style in HELDOUT_FACADE_STYLES
        assert yaw_bin_is_heldout(yaw_bin(q.yaw_deg))
    assert not set(TRAIN_FACADE_STYLES) & set(HELDOUT_FACADE_STYLES)


def _class_counts(domain: str, balanced: bool) -> Counter:
    counts: Counter = Counter()
    for i in range(120):
        rng = np.random.default_rng([5, i])
        params = replace(sample_params(rng, "train"), domain=domain)
        scene = build_background(rng, params, make_camera(params, W, H))
        populate(rng, scene, balanced)
        counts.update(t.class_id for t in scene.things if t.class_id is not None)
    return counts


def test_the_balanced_mix_over_samples_rare_classes_in_training_only() -> None:
    """Same scenes, same draws: only the class mix differs, and only in the training domain."""
    heldout = _class_counts("heldout", False)
    assert _class_counts("heldout", True) == heldout
    assert _class_counts("train", False) == heldout
    train = _class_counts("train", True)
    for name in ("rack", "table", "stall"):
        c = CLASS_NAMES.index(name)
        assert train[c] > heldout[c], (name, train[c], heldout[c])
    for name in ("table", "stall"):
        c = CLASS_NAMES.index(name)
        assert train[c] > 1.4 * heldout[c], (name, train[c], heldout[c])
    rare = [CLASS_NAMES.index(n) for n in ("rack", "table", "stall")]

    def rare_share(counter: Counter) -> float:
        return sum(counter[c] for c in rare) / sum(counter.values())

    assert rare_share(train) > 1.2 * rare_share(heldout)


def test_written_splits_record_disjoint_domains(tmp_path: Path) -> None:
    write_dataset(tmp_path, 2, {"train": 6, "test": 6}, W, H, workers=1, progress=False)
    rows = {
        split: [
            json.loads(x) for x in (tmp_path / "meta" / f"{split}.jsonl").read_text().splitlines()
        ]
        for split in ("train", "test")
    }
    train_styles = {r["facade_style"] for r in rows["train"]}
    test_styles = {r["facade_style"] for r in rows["test"]}
    assert train_styles and test_styles and not train_styles & test_styles
    assert all(r["domain"] == "heldout" for r in rows["test"])
    assert all(not yaw_bin_is_heldout(yaw_bin(r["yaw_deg"])) for r in rows["train"])
    assert all(yaw_bin_is_heldout(yaw_bin(r["yaw_deg"])) for r in rows["test"])


def test_the_data_set_records_its_class_mix(tmp_path: Path) -> None:
    for balanced in (False, True):
        out = tmp_path / str(balanced)
        write_dataset(out, 2, {"train": 2}, W, H, workers=1, progress=False, balanced=balanced)
        assert json.loads((out / "generator.json").read_text())["balanced"] is balanced


def test_a_labels_visible_share_counts_every_pixel_of_the_object() -> None:
    """Each object's own pixels are the union of its faces: a share above 1 (before 1.3.1: one
    fillPoly over all faces left overlapping faces unfilled, median 1.07 for goods) let objects
    that were mostly hidden be labelled."""
    from streetorder.models.synth.scene import MIN_VISIBLE, render

    shares = []
    for i in range(30):
        rng = np.random.default_rng([5, i])
        p = sample_params(rng, "train")
        scene = build_background(rng, p, make_camera(p, W, H))
        populate(rng, scene, balanced=True)
        shares += [lab.visible_share for lab in render(scene)[2]]
    assert len(shares) > 100
    # the own mask's crop reaches a pixel past the box: a clipped polygon rasterises the same
    assert max(shares) <= 1.0 + 1e-9 and min(shares) >= MIN_VISIBLE
    assert float(np.median(shares)) <= 1.0, "an unhidden object's pixels are all its own"


def test_an_object_hidden_by_more_than_65_percent_is_not_labelled(monkeypatch) -> None:
    """A board with a panel in front of it (two overlapping faces of one object) behind an
    unlabelled screen: labelled while most of it shows, not when the screen hides ~80 %."""
    from streetorder.models.synth import scene as sc
    from streetorder.models.synth.geometry import Thing, rect2d, sprite

    rng = np.random.default_rng(0)
    p = sample_params(rng, "train")
    cam = make_camera(p, W, H)
    scene = build_background(rng, p, cam)
    x, y = cam.position[0], 1.5
    towards = np.array([cam.position[0] - x, cam.position[1] - y])
    ox, oy = np.array([x, y]) + 0.3 * towards / np.linalg.norm(towards)
    theta = sc.facing(cam, x, y)
    board = Thing(
        sprite(x, y, theta, [(rect2d(-0.5, 0, 0.5, 1.0), (90, 90, 90)),
                             (rect2d(-0.45, 0.05, 0.45, 0.95), (30, 140, 200))]),
        0, (x, y), keep_order=True,
    )  # fmt: skip

    def screen(right: float) -> Thing:
        return Thing(
            sprite(ox, oy, theta, [(rect2d(-1.0, 0, right, 1.3), (200, 200, 200))]),
            None, (float(ox), float(oy)), keep_order=True,
        )  # fmt: skip

    def labels(*things: Thing) -> list:
        return sc.render(scene, None, list(things))[2]

    alone = labels(board)
    assert len(alone) == 1 and alone[0].visible_share == pytest.approx(1.0, abs=1e-9)
    part = labels(board, screen(-0.2))
    assert len(part) == 1 and 0.5 < part[0].visible_share < 0.85
    assert part[0].visible_box[0] > alone[0].box[0] + 5, "its unhidden pixels start further right"
    assert labels(board, screen(0.3)) == [], "mostly hidden: no label"
    monkeypatch.setattr(sc, "MIN_VISIBLE", 0.0)
    (hidden,) = labels(board, screen(0.3))
    assert 0.1 < hidden.visible_share < 0.3, "drawn, but less than 35 % of it shows"
