"""Generator 1.3: unlabelled hard negatives in the frontage, camera realism, cut-and-paste."""

from __future__ import annotations

import numpy as np
import pytest

from streetorder.models.synth import composite, hard_negatives
from streetorder.models.synth.dataset import generate_image
from streetorder.models.synth.params import sample_params
from streetorder.models.synth.realism import Realism, finish, h264_round_trip, shade
from streetorder.models.synth.scene import build_background, make_camera, render

W, H = 320, 180


def _scene(seed: int, domain: str = "train"):
    rng = np.random.default_rng(seed)
    params = sample_params(rng, domain)
    return build_background(rng, params, make_camera(params, W, H))


def test_hard_negatives_stand_unlabelled_in_the_frontage_band() -> None:
    placed = 0
    for seed in range(40):
        scene = _scene(seed)
        names = hard_negatives.add_hard_negatives(np.random.default_rng(seed + 1000), scene)
        assert len(names) == len(scene.things) <= hard_negatives.MOST
        for thing in scene.things:
            assert thing.class_id is None
            assert thing.anchor[1] <= scene.params.frontage_depth + 0.3 + 1e-6
        placed += len(names)
        _, _, labels = render(scene)
        assert labels == [], "a hard negative must never get a label"
    assert placed >= 40, "most scenes should get some hard negatives"


@pytest.mark.parametrize("kind", hard_negatives.SHOP_FITTINGS)
def test_every_shop_fitting_kind_builds_against_the_facade(kind: str) -> None:
    thing = hard_negatives.shop_fitting(np.random.default_rng(1), kind, 2.0)
    assert thing.class_id is None and thing.faces
    ys = np.concatenate([f.pts[:, 1] for f in thing.faces])
    assert ys.min() >= -1e-9 and ys.max() < 1.0  # from the wall (y=0) outwards, under a metre


def test_h264_round_trip_keeps_the_frame_size_and_loses_detail() -> None:
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (H + 1, W + 1, 3), dtype=np.uint8)  # odd sides too
    coarse, fine = h264_round_trip(frame, 45), h264_round_trip(frame, 20)
    assert coarse.shape == frame.shape and coarse.dtype == np.uint8
    err = [float(np.abs(x.astype(int) - frame).mean()) for x in (coarse, fine)]
    assert err[0] > err[1] > 0


def test_ir_night_is_grey_and_bloom_brightens_only() -> None:
    rng = np.random.default_rng(2)
    frame = rng.integers(0, 120, (H, W, 3), dtype=np.uint8)
    frame[80:100, 150:170] = 250  # a lamp
    look = Realism(0.0, 0.1, True, 0.8, "keep", 30)
    out = finish(frame, look)
    assert np.array_equal(out[:, :, 0], out[:, :, 1]) and np.array_equal(out[:, :, 1], out[:, :, 2])
    no_bloom = finish(frame, Realism(0.0, 0.1, True, 0.0, "keep", 30))
    assert (out.astype(int) >= no_bloom).all() and out[70, 160, 0] > no_bloom[70, 160, 0]


def test_rolling_shadows_only_darken() -> None:
    img = np.full((H, W, 3), 200.0, np.float32)
    out = shade(img, Realism(0.4, 0.1, False, 0.0, "keep", 30), np.random.default_rng(3))
    assert (out <= img).all() and out.min() < 200 * 0.7
    assert shade(img, Realism(0.0, 0.1, False, 0.0, "keep", 30), None) is img


def test_pasted_objects_only_in_train_and_labelled_inside_the_image() -> None:
    pasted = 0
    for i in range(30):
        s = generate_image(9, "train", i, W, H)
        pasted += len(s.params["pasted"])
        for lab in s.labels:
            x1, y1, x2, y2 = lab.box
            assert 0 <= x1 < x2 <= W and 0 <= y1 < y2 <= H
        assert len([lab for lab in s.labels if lab.thing_index == -1]) == len(s.params["pasted"])
    assert pasted >= 3
    for split in ("val", "test"):
        for i in range(10):
            assert generate_image(9, split, i, W, H).params["pasted"] == []


def test_a_paste_hides_the_labels_under_it() -> None:
    mask = np.zeros((H, W), np.float32)
    mask[20:80, 20:80] = 1.0
    assert composite._hidden_share((20, 20, 80, 80), mask) == 1.0
    assert composite._hidden_share((100, 100, 140, 140), mask) == 0.0


def test_the_first_stream_is_unchanged_by_the_new_draws() -> None:
    """Scene parameters come from the first stream alone, as before generator 1.3."""
    for split, domain in (("train", "train"), ("test", "heldout")):
        code = {"train": 0, "test": 2}[split]
        expected = sample_params(np.random.default_rng([4, code, 5]), domain).as_dict()
        params = generate_image(4, split, 5, W, H).params
        assert {k: params[k] for k in expected} == expected
        assert set(params["realism"]) >= {"codec", "ir_night", "shadow", "bloom"}
