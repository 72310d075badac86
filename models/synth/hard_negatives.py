"""Unlabelled hard negatives inside the shop frontage, where the detector must say "background".

The edge's real-street scenarios (``scenarios.FURNITURE``) stand bollards, planters, benches,
bins, sign posts and bike hoops inside frontage zones; here they stand in the same band of the
training images, unlabelled, beside fixed shop fittings that real shop fronts have (vending
machines, parcel lockers, utility cabinets, outdoor air-conditioner units, entrance steps).

The streets scenarios' other kind of fitting, a permanent rack, table or pile of goods built by
the very builders of those classes, is not drawn here: the same pixels cannot be "rack" in one
image and background in the next. The edge's scene reference handles those.
"""

from __future__ import annotations

import numpy as np

from streetorder.models.synth import objects as ob
from streetorder.models.synth.geometry import Face, Thing, cuboid, footprint_rect
from streetorder.models.synth.scenarios import FURNITURE
from streetorder.models.synth.scene import Scene, facing, ground_point

SHOP_FITTINGS = ("vending_machine", "parcel_locker", "utility_box", "ac_outdoor", "entrance_step")
#: Share of training images that get hard negatives, and how many at most.
PROBABILITY = 0.7
MOST = 4


def add_hard_negatives(rng: np.random.Generator, scene: Scene) -> list[str]:
    """Place up to ``MOST`` unlabelled items in the frontage band; returns their names."""
    if rng.random() >= PROBABILITY:
        return []
    p, cam = scene.params, scene.camera
    band = (0.15, max(0.4, min(p.frontage_depth + 0.3, p.pavement_width - 0.3)))
    added = []
    for _ in range(int(rng.integers(1, MOST + 1))):
        pt = ground_point(rng, cam, band)
        if pt is None:
            continue
        x, y = pt
        if rng.random() < 0.55:
            kind = str(rng.choice(FURNITURE))
            thing = ob.furniture(rng, kind, x, y, facing(cam, x, y))
        else:
            kind = str(rng.choice(SHOP_FITTINGS))
            thing = shop_fitting(rng, kind, x)
        scene.things.append(thing)
        added.append(thing.name)
    return added


def shop_fitting(rng: np.random.Generator, kind: str, x: float) -> Thing:
    """A fixed fitting standing against the facade (y = 0) at ``x``."""
    faces: list[Face] = []
    if kind == "vending_machine":
        w, d, h = rng.uniform(0.8, 1.2), 0.7, rng.uniform(1.7, 1.95)
        body = ob.vivid(rng) if rng.random() < 0.7 else ob.metal(rng)
        faces += cuboid(x, d / 2, 0, w, d, h, 0, body)
        faces.append(_front(x - w * 0.4, x + w * 0.15, d + 0.01, 0.7, h - 0.15, (60, 60, 60)))
    elif kind == "parcel_locker":
        w, d, h = rng.uniform(1.5, 3.0), 0.5, rng.uniform(1.8, 2.0)
        col = (
            ob.metal(rng) if rng.random() < 0.5 else ob.hsv(rng, (0.0, 1.0), (0.3, 0.8), (0.4, 0.8))
        )
        faces += cuboid(
            x, d / 2, 0, w, d, h, 0, col, side_pattern=("v", int(w / 0.35), ob.scale(col, 0.6))
        )
    elif kind == "utility_box":
        w, d, h = rng.uniform(0.5, 1.1), rng.uniform(0.3, 0.5), rng.uniform(0.9, 1.5)
        col = ob.hsv(rng, (0.0, 1.0), (0.0, 0.25), (0.5, 0.85))
        faces += cuboid(
            x, d / 2 + 0.05, 0, w, d, h, 0, col, side_pattern=("v", 2, ob.scale(col, 0.7))
        )
        d += 0.05
    elif kind == "ac_outdoor":
        w, d, h = rng.uniform(0.7, 0.95), 0.35, rng.uniform(0.55, 0.8)
        col = (205.0, 205.0, 200.0)
        faces += cuboid(
            x, d / 2 + 0.05, 0.05, w, d, h, 0, col, side_pattern=("u", 7, (140, 140, 140))
        )
        faces.append(
            _front(x - w * 0.35, x + w * 0.1, d + 0.06, 0.15, 0.05 + h * 0.85, (90, 90, 90))
        )
        d += 0.05
    elif kind == "entrance_step":
        w, d, h = rng.uniform(1.0, 2.5), rng.uniform(0.3, 0.7), rng.uniform(0.12, 0.3)
        col = ob.hsv(rng, (0.0, 1.0), (0.0, 0.15), (0.45, 0.8))
        faces += cuboid(x, d / 2, 0, w, d, h, 0, col)
    else:
        raise ValueError(f"unknown shop fitting {kind!r}")
    return Thing(faces, None, (x, d), footprint_rect(x, d / 2, w, d), h, name=f"fitting:{kind}")


def _front(x0, x1, y, z0, z1, color) -> Face:
    """A flat panel (a window, a fan grille) on the front of a fitting facing the street."""
    pts = np.array([[x0, y, z0], [x1, y, z0], [x1, y, z1], [x0, y, z1]])
    return Face(pts, color, np.array([0.0, 1.0, 0.0]))
