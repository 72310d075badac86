"""Cut-and-paste compositing: objects cut from another scene, pasted into this one (train only).

The donor object is rendered alone with the donor scene's camera and light, cut out by its own
silhouette, scaled to the size it would have at a ground point of the target scene and pasted
there over everything, before the target's camera effects. So a frontage class is seen under a
light and angle its surroundings do not share, and the label box is the pasted silhouette's.
Target labels the paste hides by more than ``HIDDEN`` of their box are dropped.
"""

from __future__ import annotations

import cv2
import numpy as np

from streetorder.models.synth.params import sample_params
from streetorder.models.synth.scene import (
    MIN_BOX_FRACTION,
    Label,
    Scene,
    build_background,
    ground_point,
    make_camera,
    populate,
    render,
)
from streetorder.vocabulary import CLASS_IDS

PROBABILITY = 0.35  # share of training images that get pasted objects
PASTE_CLASSES = ("goods", "rack", "table", "stall", "umbrella")
#: The weaker classes are cut more often.
PASTE_WEIGHTS = {"goods": 1.0, "rack": 1.5, "table": 3.0, "stall": 3.0, "umbrella": 1.0}
HIDDEN = 0.6
_EMPTY = -1000.0  # background value of the donor's own render: outside any colour


def paste_objects(
    rng: np.random.Generator,
    target: Scene,
    img: np.ndarray,
    labels: list[Label],
    width: int,
    height: int,
) -> tuple[np.ndarray, list[Label], list[str]]:
    """Maybe paste 1-2 donor objects into the float render ``img``; returns (img, labels, names)."""
    if rng.random() >= PROBABILITY:
        return img, labels, []
    donor = _donor_scene(rng, width, height)
    wanted = [t for t in donor.things if t.class_id in _PASTE_IDS]
    if not wanted:
        return img, labels, []
    weights = np.array([PASTE_WEIGHTS[_NAMES[t.class_id]] for t in wanted])
    picks = rng.choice(
        len(wanted),
        size=min(len(wanted), int(rng.integers(1, 3))),
        replace=False,
        p=weights / weights.sum(),
    )
    out, names = img, []
    for i in picks:
        cut = _cut(donor, wanted[int(i)])
        if cut is None:
            continue
        pasted = _paste(rng, target, out, cut)
        if pasted is None:
            continue
        out, box, mask = pasted
        labels = [lab for lab in labels if _hidden_share(lab.box, mask) <= HIDDEN]
        labels.append(Label(wanted[int(i)].class_id, box, -1))
        names.append(_NAMES[wanted[int(i)].class_id])
    return out, labels, names


_PASTE_IDS = {CLASS_IDS[n] for n in PASTE_CLASSES}
_NAMES = {CLASS_IDS[n]: n for n in PASTE_CLASSES}


def _donor_scene(rng: np.random.Generator, width: int, height: int) -> Scene:
    params = sample_params(rng, "train")
    camera = make_camera(params, width, height, x=float(rng.uniform(-5, 5)))
    scene = build_background(rng, params, camera)
    populate(rng, scene, balanced=True)
    return scene


def _cut(donor: Scene, thing) -> tuple[np.ndarray, np.ndarray] | None:
    """(BGR float crop, 0..1 alpha) of ``thing`` rendered alone, or None when off-frame/tiny."""
    cam = donor.camera
    empty = np.full((cam.height, cam.width, 3), _EMPTY, np.float32)
    img, _, _ = render(
        donor, background=(empty, np.zeros(empty.shape[:2], np.float32)), things=[thing]
    )
    alpha = (img.min(axis=2) > _EMPTY * 0.02).astype(np.float32)  # (nearly) fully covered
    ys, xs = np.nonzero(alpha > 0.5)
    if len(xs) == 0:
        return None
    x1, x2, y1, y2 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    if x1 == 0 or y1 == 0 or x2 == cam.width or y2 == cam.height:  # cut by the frame edge
        return None
    if min(x2 - x1, y2 - y1) < MIN_BOX_FRACTION * cam.width * 1.5:
        return None
    a = alpha[y1:y2, x1:x2]
    crop = np.where(a[:, :, None] > 0, np.clip(img[y1:y2, x1:x2], 0, None), 0.0)
    return crop.astype(np.float32), a


def _paste(rng, target: Scene, img: np.ndarray, cut):
    """Paste ``cut`` standing on a target ground point at the size it would have there."""
    crop, alpha = cut
    cam, p = target.camera, target.params
    pt = ground_point(rng, cam, (0.3, max(0.4, p.pavement_width - 0.3)))
    if pt is None:
        return None
    x, y = pt
    foot = cam.project(np.array([[x, y, 0.0], [x, y, 1.0]]))
    if foot is None:
        return None
    metre_px = float(np.linalg.norm(foot[1] - foot[0]))
    height_m = float(rng.uniform(0.6, 1.8))  # pasted objects keep plausible heights
    scale = height_m * metre_px / crop.shape[0]
    h = max(2, int(round(crop.shape[0] * scale)))
    w = max(2, int(round(crop.shape[1] * scale)))
    if w > cam.width * 0.6 or h > cam.height * 0.7 or min(w, h) < MIN_BOX_FRACTION * cam.width:
        return None
    crop = cv2.resize(crop, (w, h), interpolation=cv2.INTER_AREA)
    alpha = cv2.resize(alpha, (w, h), interpolation=cv2.INTER_AREA)
    if rng.random() < 0.5:  # a feathered edge half the time, a hard cut otherwise
        alpha = cv2.GaussianBlur(alpha, (0, 0), 0.8)
    bx, by = int(round(foot[0][0] - w / 2)), int(round(foot[0][1] - h))
    x1, y1, x2, y2 = max(bx, 0), max(by, 0), min(bx + w, cam.width), min(by + h, cam.height)
    if (x2 - x1) * (y2 - y1) < 0.8 * w * h:  # mostly outside the frame
        return None
    a = alpha[y1 - by : y2 - by, x1 - bx : x2 - bx, None]
    out = img.copy()
    out[y1:y2, x1:x2] = out[y1:y2, x1:x2] * (1 - a) + crop[y1 - by : y2 - by, x1 - bx : x2 - bx] * a
    mask = np.zeros(img.shape[:2], np.float32)
    mask[y1:y2, x1:x2] = a[:, :, 0]
    ys, xs = np.nonzero(mask > 0.5)
    if len(xs) == 0:
        return None
    box = (float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1))
    return out, box, mask


def _hidden_share(box: tuple[float, float, float, float], mask: np.ndarray) -> float:
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    area = max(1, (x2 - x1) * (y2 - y1))
    return float((mask[y1:y2, x1:x2] > 0.5).sum()) / area
