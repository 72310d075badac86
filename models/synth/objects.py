"""Builders for the seven labelled classes and the unlabelled distractors.

Each builder takes a random generator, a ground position (x, y), ``face`` (the ground direction
of a plane facing the camera, radians) and returns a :class:`Thing` in world metres.
"""

from __future__ import annotations

import colorsys
import math
from collections.abc import Callable

import numpy as np

from streetorder.models.synth.geometry import (
    Color,
    Face,
    Thing,
    bar2d,
    cuboid,
    ellipse2d,
    footprint_rect,
    pole,
    prism,
    rect2d,
    sprite,
)
from streetorder.vocabulary import CLASS_IDS

Rng = np.random.Generator


def hsv(rng: Rng, h=(0.0, 1.0), s=(0.0, 1.0), v=(0.0, 1.0)) -> Color:
    r, g, b = colorsys.hsv_to_rgb(rng.uniform(*h) % 1.0, rng.uniform(*s), rng.uniform(*v))
    return (b * 255, g * 255, r * 255)


def vivid(rng: Rng) -> Color:
    return hsv(rng, (0, 1), (0.45, 1.0), (0.35, 1.0))


def dull(rng: Rng) -> Color:
    return hsv(rng, (0, 1), (0.0, 0.35), (0.15, 0.85))


def cardboard(rng: Rng) -> Color:
    return hsv(rng, (0.07, 0.12), (0.3, 0.65), (0.45, 0.85))


def metal(rng: Rng) -> Color:
    v = rng.uniform(0.25, 0.8)
    return hsv(rng, (0.5, 0.65), (0.0, 0.12), (v, v))


def scale(c: Color, k: float) -> Color:
    return (min(255.0, c[0] * k), min(255.0, c[1] * k), min(255.0, c[2] * k))


# ----------------------------------------------------------------------------- goods


def goods(rng: Rng, x: float, y: float, face: float) -> Thing:
    kind = rng.choice(["boxes", "crates", "sacks", "baskets", "heap", "mixed"])
    yaw = rng.uniform(-0.4, 0.4) if rng.random() < 0.7 else rng.uniform(0, math.pi)
    faces: list[Face] = []
    width = depth = 0.5
    top = 0.5
    if kind in ("boxes", "crates", "mixed"):
        cols, rows = int(rng.integers(1, 4)), int(rng.integers(1, 3))
        bw, bd = rng.uniform(0.3, 0.6), rng.uniform(0.3, 0.5)
        bh = rng.uniform(0.2, 0.5)
        width, depth = cols * bw, rows * bd
        pieces = []
        for i in range(cols):
            for j in range(rows):
                stack = int(rng.integers(1, 4))
                for k in range(stack):
                    if kind == "crates" or (kind == "mixed" and rng.random() < 0.5):
                        col = vivid(rng)
                        pat = ("u", int(rng.integers(2, 5)), scale(col, 0.55))
                    else:
                        col = cardboard(rng) if rng.random() < 0.75 else dull(rng)
                        pat = ("v", 1, scale(col, 0.7)) if rng.random() < 0.6 else None
                    ox = (i - (cols - 1) / 2) * bw
                    oy = (j - (rows - 1) / 2) * bd
                    c, s = math.cos(yaw), math.sin(yaw)
                    px, py = x + ox * c - oy * s, y + ox * s + oy * c
                    jitter = rng.uniform(-0.05, 0.05, 2)
                    pieces.append(
                        cuboid(
                            px + jitter[0],
                            py + jitter[1],
                            k * bh,
                            bw * 0.95,
                            bd * 0.95,
                            bh * 0.97,
                            yaw + rng.uniform(-0.1, 0.1),
                            col,
                            top=_produce_top(rng, col),
                            side_pattern=pat,
                        )
                    )
                    top = max(top, (k + 1) * bh)
        for p in pieces:
            faces.extend(p)
    elif kind == "sacks":
        n = int(rng.integers(1, 5))
        col = hsv(rng, (0.05, 0.2), (0.05, 0.5), (0.5, 0.95)) if rng.random() < 0.7 else vivid(rng)
        shapes = []
        sw = rng.uniform(0.4, 0.6)
        sh = rng.uniform(0.5, 0.9)
        width = n * sw * 0.85
        for i in range(n):
            cx = (i - (n - 1) / 2) * sw * 0.85
            body = ellipse2d(cx, sh * 0.45, sw / 2, sh * 0.5, n=20, a0=0, a1=2 * math.pi)
            body[:, 1] = np.maximum(body[:, 1], 0.0)
            shapes.append((body, scale(col, rng.uniform(0.8, 1.1))))
            shapes.append(
                (bar2d((cx - sw * 0.3, sh * 0.6), (cx + sw * 0.3, sh * 0.6), 0.03), scale(col, 0.6))
            )
        top = sh
        faces = sprite(x, y, face, shapes)
    elif kind == "baskets":
        n = int(rng.integers(1, 5))
        r = rng.uniform(0.2, 0.35)
        h = rng.uniform(0.2, 0.4)
        width = n * 2 * r
        for i in range(n):
            off = (i - (n - 1) / 2) * 2.1 * r
            bx, by = x + off * math.cos(face), y + off * math.sin(face)
            wick = hsv(rng, (0.06, 0.12), (0.4, 0.8), (0.3, 0.7))
            faces.extend(prism(bx, by, 0, r * 0.8, h, wick, top=_fruit(rng), radius_top=r))
            faces.extend(_dome(rng, bx, by, h, r * 0.9, face))
        top = h + r * 0.5
    else:  # heap of produce on a tarp
        w, d = rng.uniform(0.8, 2.0), rng.uniform(0.5, 1.2)
        width, depth = w, d
        tarp = footprint_rect(x, y, w, d, yaw)
        faces.append(
            Face(np.column_stack([tarp, np.full(4, 0.01)]), dull(rng), np.array([0, 0, 1.0]))
        )
        for _ in range(int(rng.integers(2, 5))):
            ox, oy = rng.uniform(-w / 3, w / 3), rng.uniform(-d / 4, d / 4)
            faces.extend(_dome(rng, x + ox, y + oy, 0.0, rng.uniform(0.2, 0.45), face))
        top = 0.4
    fp = footprint_rect(x, y, width, depth, yaw)
    return Thing(
        faces,
        CLASS_IDS["goods"],
        (x, y),
        fp,
        top,
        keep_order=kind in ("sacks",),
        name=f"goods:{kind}",
    )


def _fruit(rng: Rng) -> Color:
    return hsv(
        rng,
        rng.choice([(0.0, 0.05), (0.05, 0.12), (0.12, 0.18), (0.2, 0.4)]),
        (0.6, 1.0),
        (0.5, 1.0),
    )


def _produce_top(rng: Rng, col: Color) -> Color:
    return _fruit(rng) if rng.random() < 0.4 else scale(col, 1.15)


def _dome(rng: Rng, x: float, y: float, z0: float, r: float, face: float) -> list[Face]:
    col = _fruit(rng)
    shapes = [(ellipse2d(0, 0, r, r * 0.8, n=14, a0=0, a1=math.pi), col)]
    for _ in range(int(rng.integers(3, 8))):
        a = rng.uniform(0.2, math.pi - 0.2)
        rr = rng.uniform(0.2, 0.75) * r
        shapes.append(
            (
                ellipse2d(rr * math.cos(a), rr * 0.8 * math.sin(a), r * 0.15, r * 0.13, 8),
                scale(col, rng.uniform(0.6, 1.3)),
            )
        )
    return sprite(x, y, face, shapes, lift=z0)


# ----------------------------------------------------------------------------- rack


def rack(rng: Rng, x: float, y: float, face: float) -> Thing:
    kind = rng.choice(["shelf", "rail", "tiered"])
    yaw = rng.uniform(-0.3, 0.3) + (math.pi / 2 if rng.random() < 0.15 else 0)
    w, d = rng.uniform(0.8, 2.0), rng.uniform(0.35, 0.6)
    h = rng.uniform(1.1, 2.0)
    frame = metal(rng) if rng.random() < 0.6 else dull(rng)
    faces: list[Face] = []
    c, s = math.cos(yaw), math.sin(yaw)

    def at(ox: float, oy: float) -> tuple[float, float]:
        return x + ox * c - oy * s, y + ox * s + oy * c

    if kind == "rail":
        for ox in (-w / 2, w / 2):
            faces.extend(pole(*at(ox, 0), 0, h, frame, 0.025))
            faces.extend(cuboid(*at(ox, 0), 0, 0.05, d, 0.04, yaw, frame))
        faces.extend(cuboid(*at(0, 0), h - 0.04, w, 0.04, 0.04, yaw, frame))
        n = int(rng.integers(4, 12))
        shapes = []
        for i in range(n):
            s0 = -w / 2 + (i + 0.5) * w / n
            gw = w / n * rng.uniform(0.8, 1.6)
            gl = rng.uniform(0.5, h - 0.25)
            shapes.append(
                (
                    np.array(
                        [
                            [s0 - gw / 2, h - 0.08],
                            [s0 + gw / 2, h - 0.08],
                            [s0 + gw / 2 * 1.1, h - 0.08 - gl],
                            [s0 - gw / 2 * 1.1, h - 0.08 - gl],
                        ]
                    ),
                    vivid(rng),
                )
            )
        faces.extend(sprite(x, y, yaw, shapes))
    else:
        levels = int(rng.integers(3, 6))
        for ox in (-w / 2, w / 2):
            for oy in (-d / 2, d / 2):
                faces.extend(pole(*at(ox, oy), 0, h, frame, 0.02))
        for i in range(levels):
            z = 0.1 + i * (h - 0.15) / (levels - 1)
            shelf_d = d * (1 - 0.5 * i / levels) if kind == "tiered" else d
            oy = (d - shelf_d) / 2 if kind == "tiered" else 0.0
            faces.extend(cuboid(*at(0, -oy), z, w, shelf_d, 0.03, yaw, scale(frame, 1.1)))
            k = int(rng.integers(0, 7))
            for _ in range(k):
                iw = rng.uniform(0.08, 0.3)
                ih = rng.uniform(0.08, min(0.35, (h - 0.15) / levels * 0.85))
                ix = rng.uniform(-w / 2 + iw, w / 2 - iw)
                faces.extend(cuboid(*at(ix, -oy), z + 0.03, iw, shelf_d * 0.7, ih, yaw, vivid(rng)))
    fp = footprint_rect(x, y, w, d, yaw)
    return Thing(faces, CLASS_IDS["rack"], (x, y), fp, h, name=f"rack:{kind}")


# ----------------------------------------------------------------------------- table


def table(rng: Rng, x: float, y: float, face: float) -> Thing:
    kind = rng.choice(["folding", "cloth", "counter", "trestle"])
    yaw = rng.uniform(-0.3, 0.3) + (math.pi / 2 if rng.random() < 0.2 else 0)
    w, d = rng.uniform(0.9, 2.0), rng.uniform(0.5, 0.9)
    h = rng.uniform(0.7, 1.0)
    top_col = dull(rng) if rng.random() < 0.6 else vivid(rng)
    faces: list[Face] = []
    c, s = math.cos(yaw), math.sin(yaw)

    def at(ox: float, oy: float) -> tuple[float, float]:
        return x + ox * c - oy * s, y + ox * s + oy * c

    if kind == "counter":
        faces.extend(cuboid(x, y, 0, w, d, h - 0.05, yaw, scale(top_col, 0.8)))
        faces.extend(cuboid(x, y, h - 0.05, w + 0.06, d + 0.06, 0.05, yaw, top_col))
    elif kind == "cloth":
        cloth = vivid(rng)
        pat = ("u", int(rng.integers(3, 9)), scale(cloth, 0.75)) if rng.random() < 0.5 else None
        faces.extend(cuboid(x, y, 0.02, w, d, h - 0.02, yaw, cloth, side_pattern=pat))
    else:
        leg = metal(rng)
        for ox in (-w / 2 + 0.05, w / 2 - 0.05):
            if kind == "trestle":
                faces.extend(
                    sprite(
                        *at(ox, 0),
                        yaw + math.pi / 2,
                        [
                            (bar2d((-d / 2, 0), (0, h), 0.04), leg),
                            (bar2d((d / 2, 0), (0, h), 0.04), leg),
                        ],
                    )
                )
            else:
                for oy in (-d / 2 + 0.05, d / 2 - 0.05):
                    faces.extend(pole(*at(ox, oy), 0, h - 0.04, leg, 0.02))
        faces.extend(cuboid(x, y, h - 0.04, w, d, 0.04, yaw, top_col))
    for _ in range(int(rng.integers(0, 6))):
        iw = rng.uniform(0.1, 0.35)
        ix, iy = rng.uniform(-w / 2 + iw, w / 2 - iw), rng.uniform(-d / 4, d / 4)
        faces.extend(cuboid(*at(ix, iy), h, iw, iw * 0.8, rng.uniform(0.05, 0.3), yaw, vivid(rng)))
    fp = footprint_rect(x, y, w, d, yaw)
    return Thing(faces, CLASS_IDS["table"], (x, y), fp, h, name=f"table:{kind}")


# ----------------------------------------------------------------------------- stall


def stall(rng: Rng, x: float, y: float, face: float) -> Thing:
    kind = rng.choice(["cart", "tricycle", "booth"])
    yaw = rng.uniform(-0.25, 0.25) + (math.pi / 2 if rng.random() < 0.15 else 0)
    body = vivid(rng) if rng.random() < 0.7 else metal(rng)
    faces: list[Face] = []
    c, s = math.cos(yaw), math.sin(yaw)

    def at(ox: float, oy: float) -> tuple[float, float]:
        return x + ox * c - oy * s, y + ox * s + oy * c

    if kind == "booth":
        w, d, h = rng.uniform(1.2, 2.5), rng.uniform(1.0, 1.8), rng.uniform(2.0, 2.6)
        faces.extend(cuboid(x, y, 0, w, d, h, yaw, body, top=scale(body, 1.2)))
        win = np.array([[-w * 0.4, 0.9], [w * 0.4, 0.9], [w * 0.4, h * 0.8], [-w * 0.4, h * 0.8]])
        faces.extend(
            sprite(
                *at(0, d / 2 + 0.01),
                yaw,
                [(win, dull(rng)), (rect2d(-w / 2, h * 0.82, w / 2, h * 0.98), vivid(rng))],
            )
        )
        faces.extend(cuboid(*at(0, 0.15), h, w + 0.3, d + 0.5, 0.08, yaw, vivid(rng)))
        top = h + 0.08
    else:
        w, d = rng.uniform(1.2, 2.0), rng.uniform(0.6, 1.0)
        zb, hb = 0.35, rng.uniform(0.5, 0.8)
        faces.extend(
            cuboid(
                x,
                y,
                zb,
                w,
                d,
                hb,
                yaw,
                body,
                top=scale(body, 1.2),
                side_pattern=("v", int(rng.integers(1, 4)), scale(body, 0.8)),
            )
        )
        wheel_r = 0.3 if kind == "cart" else 0.33
        wheels = (
            [(-w / 3, d / 2 + 0.03), (w / 3, d / 2 + 0.03)]
            if kind == "cart"
            else [(-w / 3, d / 2 + 0.03), (w / 2 + 0.7, 0)]
        )
        for ox, oy in wheels:
            faces.extend(_wheel(*at(ox, oy), yaw, wheel_r))
        if kind == "tricycle":
            faces.extend(
                sprite(
                    *at(w / 2 + 0.35, 0),
                    yaw,
                    [
                        (bar2d((-0.35, 0.6), (0.35, wheel_r), 0.05), metal(rng)),
                        (bar2d((0.0, 0.6), (0.05, 1.0), 0.05), metal(rng)),
                        (bar2d((0.35, wheel_r), (0.3, 1.05), 0.05), metal(rng)),
                        (rect2d(-0.1, 0.95, 0.15, 1.02), (30, 30, 30)),
                    ],
                )
            )
        else:
            faces.extend(
                sprite(
                    *at(-w / 2 - 0.25, 0),
                    yaw,
                    [(bar2d((0.25, zb + hb * 0.7), (-0.3, 1.0), 0.04), metal(rng))],
                )
            )
        top = zb + hb
        if rng.random() < 0.75:
            roof_h = rng.uniform(1.9, 2.3)
            for ox in (-w / 2 + 0.05, w / 2 - 0.05):
                for oy in (-d / 2 + 0.05, d / 2 - 0.05):
                    faces.extend(pole(*at(ox, oy), zb + hb, roof_h - zb - hb, metal(rng), 0.02))
            roof = vivid(rng)
            faces.extend(
                cuboid(
                    x,
                    y,
                    roof_h,
                    w + 0.3,
                    d + 0.3,
                    0.06,
                    yaw,
                    roof,
                    side_pattern=("u", 6, scale(roof, 0.5)),
                )
            )
            top = roof_h + 0.06
        w += 0.6 if kind == "tricycle" else 0.0
    fp = footprint_rect(x, y, w, d, yaw)
    return Thing(faces, CLASS_IDS["stall"], (x, y), fp, top, name=f"stall:{kind}")


def _wheel(x: float, y: float, theta: float, r: float, z: float | None = None) -> list[Face]:
    zc = r if z is None else z
    return sprite(
        x,
        y,
        theta,
        [
            (ellipse2d(0, zc, r, r, 20), (25, 25, 25)),
            (ellipse2d(0, zc, r * 0.75, r * 0.75, 16), (120, 120, 120)),
            (ellipse2d(0, zc, r * 0.15, r * 0.15, 8), (60, 60, 60)),
        ],
    )


# ----------------------------------------------------------------------------- umbrella


def umbrella(rng: Rng, x: float, y: float, face: float) -> Thing:
    kind = rng.choice(["parasol", "parasol", "canopy"])
    col = vivid(rng)
    col2 = vivid(rng) if rng.random() < 0.5 else (235.0, 235.0, 235.0)
    faces: list[Face] = []
    if kind == "parasol":
        r = rng.uniform(0.9, 1.6)
        hz = rng.uniform(1.9, 2.4)
        n = 8
        faces.extend(pole(x, y, 0, hz + 0.3, metal(rng), 0.03))
        faces.extend(prism(x, y, 0, 0.25, 0.1, (50, 50, 50), sides=6))
        apex = np.array([x, y, hz + rng.uniform(0.3, 0.55)])
        ang = np.linspace(0, 2 * math.pi, n, endpoint=False) + rng.uniform(0, 1)
        rim = np.column_stack([x + r * np.cos(ang), y + r * np.sin(ang), np.full(n, hz)])
        for i in range(n):
            j = (i + 1) % n
            tri = np.array([rim[i], rim[j], apex])
            nrm = np.cross(rim[j] - rim[i], apex - rim[i])
            faces.append(Face(tri, col if i % 2 == 0 else col2, nrm / np.linalg.norm(nrm)))
            # underside seen from below/far side: draw it facing down too
            faces.append(
                Face(
                    tri[::-1].copy(),
                    scale(col if i % 2 == 0 else col2, 0.6),
                    -nrm / np.linalg.norm(nrm),
                )
            )
        w = d = 2 * r
        top = apex[2]
        fp = np.column_stack([rim[:, 0], rim[:, 1]])
        return Thing(faces, CLASS_IDS["umbrella"], (x, y), fp, top, name="umbrella:parasol")
    w, d = rng.uniform(2.0, 3.0), rng.uniform(2.0, 3.0)
    hz = rng.uniform(2.0, 2.4)
    yaw = rng.uniform(-0.2, 0.2)
    c, s = math.cos(yaw), math.sin(yaw)
    for ox in (-w / 2, w / 2):
        for oy in (-d / 2, d / 2):
            faces.extend(pole(x + ox * c - oy * s, y + ox * s + oy * c, 0, hz, metal(rng), 0.03))
    corners = footprint_rect(x, y, w, d, yaw)
    rim = np.column_stack([corners, np.full(4, hz)])
    apex = np.array([x, y, hz + rng.uniform(0.4, 0.8)])
    for i in range(4):
        j = (i + 1) % 4
        tri = np.array([rim[i], rim[j], apex])
        nrm = np.cross(rim[j] - rim[i], apex - rim[i])
        nrm /= np.linalg.norm(nrm)
        faces.append(Face(tri, col, nrm))
        faces.append(Face(tri[::-1].copy(), scale(col, 0.6), -nrm))
        valance = np.array([rim[i], rim[j], rim[j] - [0, 0, 0.2], rim[i] - [0, 0, 0.2]])
        edge = rim[j] - rim[i]
        vn = np.array([edge[1], -edge[0], 0.0])
        faces.append(Face(valance, col2, vn / np.linalg.norm(vn)))
    return Thing(faces, CLASS_IDS["umbrella"], (x, y), corners, apex[2], name="umbrella:canopy")


# ----------------------------------------------------------------------------- person


def person(rng: Rng, x: float, y: float, face: float, walking: bool | None = None) -> Thing:
    h = rng.uniform(1.45, 1.9)
    walking = bool(rng.random() < 0.5) if walking is None else walking
    skin = hsv(rng, (0.04, 0.1), (0.25, 0.6), (0.35, 0.95))
    top_c, legs_c = vivid(rng) if rng.random() < 0.5 else dull(rng), dull(rng)
    hair = hsv(rng, (0.0, 0.1), (0.2, 0.8), (0.05, 0.45))
    sh = h * 0.13  # head height
    hip = h * 0.48
    shoulder = h * 0.82
    half = h * 0.11
    stride = rng.uniform(0.1, 0.25) * h if walking else rng.uniform(0.0, 0.05)
    shapes = [
        (bar2d((-half * 0.4, hip), (-half * 0.4 - stride / 2, 0.02), h * 0.075), legs_c),
        (bar2d((half * 0.4, hip), (half * 0.4 + stride / 2, 0.02), h * 0.075), legs_c),
        (
            np.array(
                [
                    [-half, hip - 0.03],
                    [half, hip - 0.03],
                    [half * 1.05, shoulder],
                    [-half * 1.05, shoulder],
                ]
            ),
            top_c,
        ),
        (bar2d((-half * 1.1, shoulder - 0.03), (-half * 1.3 - stride / 3, hip), h * 0.05), top_c),
        (bar2d((half * 1.1, shoulder - 0.03), (half * 1.3 + stride / 3, hip), h * 0.05), top_c),
        (ellipse2d(0, shoulder + sh * 0.55, sh * 0.4, sh * 0.55, 14), skin),
        (ellipse2d(0, shoulder + sh * 0.8, sh * 0.42, sh * 0.35, 12, 0, math.pi), hair),
    ]
    if rng.random() < 0.25:  # skirt / long coat
        shapes.insert(
            2,
            (
                np.array(
                    [
                        [-half * 1.1, hip * 0.35],
                        [half * 1.1, hip * 0.35],
                        [half, hip + 0.05],
                        [-half, hip + 0.05],
                    ]
                ),
                top_c,
            ),
        )
    if rng.random() < 0.2:  # bag
        shapes.append((rect2d(half * 1.2, hip - 0.15, half * 1.2 + 0.2, hip + 0.1), dull(rng)))
    theta = face + rng.uniform(-0.3, 0.3)
    faces = sprite(x, y, theta, shapes)
    fp = footprint_rect(x, y, 0.45, 0.3, theta)
    return Thing(faces, CLASS_IDS["person"], (x, y), fp, h, keep_order=True, name="person")


# ----------------------------------------------------------------------------- two-wheeler


def two_wheeler(rng: Rng, x: float, y: float, face: float, theta: float | None = None) -> Thing:
    kind = rng.choice(["bicycle", "ebike", "scooter"])
    theta = (
        rng.uniform(-0.6, 0.6) + (math.pi / 2 if rng.random() < 0.35 else 0.0)
        if theta is None
        else theta
    )
    r = 0.33 if kind == "bicycle" else rng.uniform(0.22, 0.3)
    base = rng.uniform(1.0, 1.15) if kind == "bicycle" else rng.uniform(1.1, 1.35)
    frame = vivid(rng) if rng.random() < 0.6 else metal(rng)
    rw, fw = -base / 2, base / 2
    shapes: list[tuple[np.ndarray, Color]] = []
    for cx in (rw, fw):
        shapes.append((ellipse2d(cx, r, r, r, 20), (25, 25, 25)))
        shapes.append(
            (
                ellipse2d(
                    cx,
                    r,
                    r * (0.8 if kind == "bicycle" else 0.55),
                    r * (0.8 if kind == "bicycle" else 0.55),
                    16,
                ),
                (140, 140, 140) if kind == "bicycle" else (80, 80, 80),
            )
        )
    if kind == "bicycle":
        seat = (rw + 0.25, 0.95)
        bars = [
            ((rw, r), seat),
            (seat, (fw - 0.2, 0.9)),
            ((rw, r), (0.0, r + 0.05)),
            ((0.0, r + 0.05), seat),
            ((0.0, r + 0.05), (fw - 0.2, 0.9)),
            ((fw - 0.2, 0.9), (fw, r)),
            ((fw - 0.2, 0.9), (fw - 0.15, 1.05)),
        ]
        for p, q in bars:
            shapes.append((bar2d(p, q, 0.035), frame))
        shapes.append(
            (
                bar2d((seat[0] - 0.1, seat[1] + 0.02), (seat[0] + 0.1, seat[1] + 0.02), 0.05),
                (30, 30, 30),
            )
        )
        top = 1.08
    else:
        body = np.array(
            [
                [rw - 0.1, r + 0.05],
                [fw - 0.35, r + 0.05],
                [fw - 0.3, 0.55],
                [rw + 0.45, 0.75],
                [rw - 0.1, 0.75],
            ]
        )
        shapes.append((body, frame))
        shapes.append((bar2d((fw - 0.3, 0.45), (fw - 0.1, 1.05), 0.1), frame))
        shapes.append((bar2d((fw, r), (fw - 0.12, 0.95), 0.05), metal(rng)))
        shapes.append((rect2d(rw - 0.05, 0.75, rw + 0.45, 0.85), (30, 30, 30)))
        shapes.append((bar2d((fw - 0.2, 1.05), (fw + 0.05, 1.08), 0.04), (40, 40, 40)))
        if rng.random() < 0.3:
            shapes.append((rect2d(rw - 0.25, 0.8, rw + 0.1, 1.1), dull(rng)))  # top box
        top = 1.1
    faces = sprite(x, y, theta, shapes)
    fp = footprint_rect(x, y, base + 2 * r, 0.4, theta)
    return Thing(
        faces,
        CLASS_IDS["two_wheeler"],
        (x, y),
        fp,
        top,
        keep_order=True,
        name=f"two_wheeler:{kind}",
    )


# ----------------------------------------------------------------------------- distractors


def distractor(rng: Rng, x: float, y: float, face: float) -> Thing:
    kind = rng.choice(
        [
            "wheelie_bin",
            "round_bin",
            "tree",
            "bollard",
            "lamp",
            "bench",
            "planter",
            "hydrant",
            "signpost",
            "bike_hoops",
            "ac_unit",
            "trolley_cage",
        ]
    )
    return furniture(rng, str(kind), x, y, face)


def furniture(rng: Rng, kind: str, x: float, y: float, face: float) -> Thing:
    """One piece of unlabelled street furniture of ``kind`` (see ``distractor`` for the kinds)."""
    faces: list[Face] = []
    top = 1.0
    fp = footprint_rect(x, y, 0.5, 0.5)
    if kind == "wheelie_bin":
        col = hsv(rng, rng.choice([(0.25, 0.4), (0.55, 0.65), (0.0, 1.0)]), (0.0, 0.7), (0.2, 0.6))
        faces.extend(
            cuboid(x, y, 0.05, 0.58, 0.72, 1.0, rng.uniform(-0.3, 0.3), col, top=scale(col, 0.8))
        )
        faces.extend(_wheel(x - 0.3, y + 0.36, 0.0, 0.1))
        top = 1.05
    elif kind == "round_bin":
        col = dull(rng)
        faces.extend(prism(x, y, 0, 0.25, rng.uniform(0.7, 1.0), col, top=scale(col, 0.6)))
    elif kind == "tree":
        trunk = hsv(rng, (0.05, 0.1), (0.3, 0.6), (0.15, 0.4))
        th = rng.uniform(2.0, 3.5)
        faces.extend(cuboid(x, y, 0.0, 0.9, 0.9, 0.02, 0, (70, 70, 70)))
        faces.extend(prism(x, y, 0, 0.1, th + 0.5, trunk, sides=6))
        leaf = hsv(rng, (0.2, 0.4), (0.4, 0.9), (0.15, 0.55))
        shapes = []
        for _ in range(int(rng.integers(4, 9))):
            rr = rng.uniform(0.5, 1.1)
            shapes.append(
                (
                    ellipse2d(rng.uniform(-0.9, 0.9), th + rng.uniform(0, 1.6), rr, rr * 0.8, 14),
                    scale(leaf, rng.uniform(0.7, 1.3)),
                )
            )
        faces.extend(sprite(x, y, face, shapes))
        top = th + 2.5
    elif kind == "bollard":
        col = metal(rng) if rng.random() < 0.6 else vivid(rng)
        for i in range(int(rng.integers(1, 4))):
            faces.extend(prism(x + i * 1.2, y, 0, 0.08, rng.uniform(0.6, 1.0), col, sides=8))
    elif kind == "lamp":
        col = metal(rng)
        h = rng.uniform(4.0, 7.0)
        faces.extend(pole(x, y, 0, h, col, 0.07))
        faces.extend(cuboid(x, y - 0.4, h - 0.1, 0.25, 0.8, 0.12, 0, col))
        top = h
    elif kind == "bench":
        col = hsv(rng, (0.05, 0.1), (0.3, 0.7), (0.3, 0.7))
        faces.extend(
            cuboid(x, y, 0.42, 1.6, 0.45, 0.05, 0, col, side_pattern=("u", 3, scale(col, 0.6)))
        )
        faces.extend(cuboid(x, y + 0.2, 0.5, 1.6, 0.05, 0.4, 0, col))
        for ox in (-0.7, 0.7):
            faces.extend(cuboid(x + ox, y, 0, 0.06, 0.45, 0.42, 0, metal(rng)))
        top = 0.9
    elif kind == "planter":
        col = dull(rng)
        w = rng.uniform(0.6, 1.6)
        faces.extend(cuboid(x, y, 0, w, 0.6, 0.5, 0, col))
        leaf = hsv(rng, (0.2, 0.4), (0.4, 0.9), (0.2, 0.6))
        faces.extend(sprite(x, y, face, [(ellipse2d(0, 0.5, w / 2, 0.4, 14, 0, math.pi), leaf)]))
        top = 0.9
    elif kind == "hydrant":
        col = hsv(rng, (0.95, 1.05), (0.7, 1.0), (0.5, 0.9))
        faces.extend(prism(x, y, 0, 0.12, 0.6, col, sides=8))
        faces.extend(prism(x, y, 0.6, 0.09, 0.12, scale(col, 0.8), sides=8))
        top = 0.72
    elif kind == "signpost":
        faces.extend(pole(x, y, 0, 2.6, metal(rng), 0.04))
        faces.extend(sprite(x, y + 0.05, face, [(rect2d(-0.3, 2.0, 0.3, 2.6), vivid(rng))]))
        top = 2.6
    elif kind == "bike_hoops":
        col = metal(rng)
        shapes = [
            (bar2d((-0.35 + i * 0.9, 0), (-0.35 + i * 0.9, 0.8), 0.05), col) for i in range(3)
        ]
        shapes += [
            (bar2d((-0.35 + i * 0.9, 0.8), (0.25 + i * 0.9, 0.8), 0.05), col) for i in range(3)
        ]
        shapes += [(bar2d((0.25 + i * 0.9, 0.8), (0.25 + i * 0.9, 0), 0.05), col) for i in range(3)]
        faces.extend(sprite(x, y, 0.0, shapes))
    elif kind == "ac_unit":  # wall-mounted box above the shop front
        col = (210.0, 210.0, 205.0)
        faces.extend(
            cuboid(
                x,
                0.2,
                rng.uniform(2.4, 3.2),
                0.8,
                0.3,
                0.55,
                0,
                col,
                side_pattern=("u", 6, (150, 150, 150)),
            )
        )
        top = 3.5
    else:  # empty wire trolley cage
        col = metal(rng)
        shapes = [
            (bar2d((-0.4, 0.1), (-0.4, 1.6), 0.03), col),
            (bar2d((0.4, 0.1), (0.4, 1.6), 0.03), col),
        ]
        shapes += [(bar2d((-0.4, z), (0.4, z), 0.02), col) for z in np.linspace(0.15, 1.6, 6)]
        faces.extend(sprite(x, y, face + rng.uniform(-0.5, 0.5), shapes))
        faces.extend(_wheel(x - 0.3, y, face, 0.06))
        faces.extend(_wheel(x + 0.3, y, face, 0.06))
        top = 1.6
    return Thing(
        faces,
        None,
        (x, y),
        fp,
        top,
        keep_order=kind in ("tree", "bike_hoops"),
        name=f"distractor:{kind}",
    )


BUILDERS: dict[str, Callable[..., Thing]] = {
    "goods": goods,
    "rack": rack,
    "table": table,
    "stall": stall,
    "umbrella": umbrella,
    "person": person,
    "two_wheeler": two_wheeler,
}
