"""3D primitives the scene is built from: faces, solids and flat sprites standing on the ground."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

Color = tuple[float, float, float]  # BGR, 0-255


@dataclass
class Face:
    """A planar polygon in world metres. ``normal`` enables back-face culling and shading;
    ``pattern`` draws stripes on quads: (kind, count, color) with kind "u" or "v"."""

    pts: np.ndarray
    color: Color
    normal: np.ndarray | None = None
    pattern: tuple[str, int, Color] | None = None
    emissive: float = 0.0


@dataclass
class Thing:
    """One object: faces plus what the label and the cast shadow need."""

    faces: list[Face]
    class_id: int | None  # None: an unlabelled distractor
    anchor: tuple[float, float]  # ground point used to sort by depth
    footprint: np.ndarray | None = None  # (K, 2) ground polygon for the cast shadow
    height: float = 0.0
    keep_order: bool = False  # sprites: draw faces in list order
    name: str = ""
    extra: dict = field(default_factory=dict)


def rot2(theta: float) -> np.ndarray:
    c, s = math.cos(theta), math.sin(theta)
    return np.array([[c, -s], [s, c]])


def cuboid(
    cx: float,
    cy: float,
    z0: float,
    w: float,
    d: float,
    h: float,
    yaw: float,
    color: Color,
    top: Color | None = None,
    side_pattern: tuple[str, int, Color] | None = None,
    bottom: bool = False,
) -> list[Face]:
    """An axis-aligned box (rotated by ``yaw`` about Z) with its base centred at (cx, cy, z0)."""
    r = rot2(yaw)
    corners = np.array([[-w, -d], [w, -d], [w, d], [-w, d]]) / 2 @ r.T + [cx, cy]
    lo = np.column_stack([corners, np.full(4, z0)])
    hi = np.column_stack([corners, np.full(4, z0 + h)])
    faces = [Face(hi[::-1].copy(), top or color, np.array([0.0, 0.0, 1.0]))]
    if bottom:
        faces.append(Face(lo.copy(), color, np.array([0.0, 0.0, -1.0])))
    for i in range(4):
        j = (i + 1) % 4
        quad = np.array([lo[i], lo[j], hi[j], hi[i]])
        edge = corners[j] - corners[i]
        n = np.array([edge[1], -edge[0], 0.0])
        n /= np.linalg.norm(n) + 1e-9
        faces.append(Face(quad, color, n, side_pattern))
    return faces


def prism(
    cx: float,
    cy: float,
    z0: float,
    radius: float,
    h: float,
    color: Color,
    top: Color | None = None,
    sides: int = 10,
    radius_top: float | None = None,
) -> list[Face]:
    """A vertical n-sided prism (cylinders, poles, bins, baskets); ``radius_top``: a frustum."""
    rt = radius if radius_top is None else radius_top
    ang = np.linspace(0, 2 * math.pi, sides, endpoint=False)
    ring = np.column_stack([np.cos(ang), np.sin(ang)])
    lo = np.column_stack([ring * radius + [cx, cy], np.full(sides, z0)])
    hi = np.column_stack([ring * rt + [cx, cy], np.full(sides, z0 + h)])
    faces = [Face(hi.copy(), top or color, np.array([0.0, 0.0, 1.0]))]
    for i in range(sides):
        j = (i + 1) % sides
        mid = (ring[i] + ring[j]) / 2
        n = np.array([mid[0], mid[1], 0.0])
        faces.append(Face(np.array([lo[i], lo[j], hi[j], hi[i]]), color, n))
    return faces


def pole(x: float, y: float, z0: float, h: float, color: Color, radius: float = 0.03) -> list[Face]:
    return prism(x, y, z0, radius, h, color, sides=6)


def ellipse2d(cx: float, cy: float, rx: float, ry: float, n: int = 18, a0=0.0, a1=2 * math.pi):
    ang = np.linspace(a0, a1, n, endpoint=(a1 - a0) < 2 * math.pi - 1e-6)
    return np.column_stack([cx + rx * np.cos(ang), cy + ry * np.sin(ang)])


def rect2d(x0: float, z0: float, x1: float, z1: float) -> np.ndarray:
    return np.array([[x0, z0], [x1, z0], [x1, z1], [x0, z1]], dtype=np.float64)


def bar2d(p: tuple[float, float], q: tuple[float, float], width: float) -> np.ndarray:
    """A thick line segment as a quad (frames, limbs, handlebars)."""
    p_, q_ = np.asarray(p, float), np.asarray(q, float)
    d = q_ - p_
    n = np.array([-d[1], d[0]]) / (np.linalg.norm(d) + 1e-9) * width / 2
    return np.array([p_ + n, q_ + n, q_ - n, p_ - n])


def sprite(
    x: float, y: float, theta: float, shapes: list[tuple[np.ndarray, Color]], lift: float = 0.0
) -> list[Face]:
    """Flat 2D shapes (s along the plane, h up) stood in a vertical plane through (x, y) whose
    direction is ``theta``; drawn in list order (no culling)."""
    c, s = math.cos(theta), math.sin(theta)
    faces = []
    for pts2, color in shapes:
        p = np.asarray(pts2, dtype=np.float64)
        world = np.column_stack([x + p[:, 0] * c, y + p[:, 0] * s, p[:, 1] + lift])
        faces.append(Face(world, color))
    return faces


def footprint_rect(cx: float, cy: float, w: float, d: float, yaw: float = 0.0) -> np.ndarray:
    return np.array([[-w, -d], [w, -d], [w, d], [-w, d]]) / 2 @ rot2(yaw).T + [cx, cy]
