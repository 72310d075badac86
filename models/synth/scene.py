"""Build a street (camera, background, objects) from scene parameters and render it.

``render`` returns the image and one label per visible labelled object; it is pure given its
inputs, so the same scene renders identical bytes every time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from streetorder.models.synth import objects as ob
from streetorder.models.synth.camera import NEAR, Camera
from streetorder.models.synth.geometry import Face, Thing
from streetorder.models.synth.params import SceneParams

SHIFT = 3
ONE = 1 << SHIFT
MIN_BOX_FRACTION = 0.016  # of the image width: smaller objects are not labelled
MIN_VISIBLE = 0.35  # share of an object's pixels not hidden by others
MIN_INSIDE = 0.45  # share of the projected box inside the frame

# (wall hue range, saturation range, value range, texture, shop front, sign kind)
FACADE_STYLES: tuple[tuple, ...] = (
    ((0.05, 0.12), (0.15, 0.4), (0.6, 0.9), "plain", "glass", "band"),
    ((0.0, 0.04), (0.45, 0.7), (0.35, 0.6), "brick", "mixed", "band"),
    ((0.0, 1.0), (0.0, 0.06), (0.45, 0.75), "panels", "shutter", "boxes"),
    ((0.45, 0.55), (0.3, 0.6), (0.45, 0.75), "tiles", "glass", "boxes"),  # held out
    ((0.0, 1.0), (0.0, 0.05), (0.8, 0.95), "tiles", "shutter", "band"),
    ((0.11, 0.16), (0.35, 0.65), (0.7, 0.95), "plain", "mixed", "boxes"),
    ((0.05, 0.09), (0.5, 0.8), (0.2, 0.4), "wood", "glass", "band"),
    ((0.55, 0.95), (0.15, 0.35), (0.7, 0.9), "plain", "shutter", "band"),
    ((0.08, 0.12), (0.2, 0.35), (0.55, 0.8), "brick", "mixed", "none"),  # held out
    ((0.55, 0.62), (0.05, 0.25), (0.3, 0.6), "panels", "glass", "band"),
)

BUILD_WEIGHTS = {  # (probability the class appears, max count)
    "goods": (0.85, 5),
    "rack": (0.45, 2),
    "table": (0.45, 2),
    "stall": (0.4, 1),
    "umbrella": (0.35, 2),
    "person": (0.6, 5),
    "two_wheeler": (0.45, 3),
}
# Optional class-balanced mix for the training domain: the rarer, harder frontage classes more
# often, and a taken spot retried. The held-out domain always keeps the natural mix above.
BALANCED_BUILD_WEIGHTS = {
    **BUILD_WEIGHTS,
    "rack": (0.55, 2),
    "table": (0.7, 2),
    "stall": (0.6, 2),
}


@dataclass
class Scene:
    params: SceneParams
    camera: Camera
    background: list[Face]
    ground_lines: np.ndarray  # (N, 2, 3) world segments (tile joints, lane marks)
    line_colors: np.ndarray  # (N, 3)
    things: list[Thing] = field(default_factory=list)
    light: np.ndarray = field(default_factory=lambda: np.array([0.3, 0.5, 0.8]))
    sky: tuple[tuple[float, float, float], tuple[float, float, float]] = ((200, 170, 140),) * 2
    texture_seed: int = 0
    lines_after: int = 0  # draw ground_lines after this many background faces


@dataclass(frozen=True)
class Label:
    class_id: int
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 pixels, the whole object in frame
    thing_index: int
    visible_share: float = 1.0  # share of the object's pixels not hidden by others
    visible_box: tuple[float, float, float, float] | None = None  # its unhidden pixels' extent


def make_camera(p: SceneParams, width: int, height: int, x: float = 0.0) -> Camera:
    return Camera(
        (x, p.cam_y, p.cam_height),
        math.radians(p.yaw_deg),
        math.radians(p.pitch_deg),
        math.radians(p.hfov_deg),
        width,
        height,
    )


def build_background(rng: np.random.Generator, p: SceneParams, camera: Camera) -> Scene:
    hue, sat, val, texture, front, sign = FACADE_STYLES[p.facade_style]
    faces: list[Face] = []
    up = np.array([0.0, 0.0, 1.0])
    out = np.array([0.0, 1.0, 0.0])
    x0, x1 = camera.position[0] - 70.0, camera.position[0] + 70.0
    pav, road = p.pavement_width, p.road_width
    pav_col = ob.hsv(rng, (0, 1), (0, 0.15), (0.45, 0.8))
    road_col = ob.hsv(rng, (0, 1), (0, 0.05), (0.18, 0.35))
    faces.append(Face(_quad_ground(x0, x1, pav + road, pav + road + 60, 0.0), pav_col, up))
    faces.append(Face(_quad_ground(x0, x1, pav, pav + road, -0.15), road_col, up))
    faces.append(
        Face(
            np.array([[x0, pav, -0.15], [x1, pav, -0.15], [x1, pav, 0], [x0, pav, 0]]),
            ob.scale(pav_col, 0.8),
            out,
        )
    )
    faces.append(Face(_quad_ground(x0, x1, 0, pav, 0.0), pav_col, up))
    lines_after = len(faces)
    if rng.random() < 0.5:  # kerb stones
        faces.append(Face(_quad_ground(x0, x1, pav - 0.3, pav, 0.001), ob.scale(pav_col, 1.15), up))
    # decals: manholes, stains, puddles
    for _ in range(int(rng.integers(0, 5))):
        cx, cy = rng.uniform(x0 / 3, x1 / 3), rng.uniform(0.3, pav + road)
        r = rng.uniform(0.2, 0.7)
        ang = np.linspace(0, 2 * math.pi, 12, endpoint=False)
        z = 0.002 if cy < pav else -0.148
        ring = np.column_stack([cx + r * np.cos(ang), cy + r * np.sin(ang) * 0.8, np.full(12, z)])
        faces.append(
            Face(ring, ob.scale(pav_col if cy < pav else road_col, rng.uniform(0.5, 0.9)), up)
        )
    if p.frontage_line:
        col = (40.0, 200.0, 230.0) if rng.random() < 0.6 else (235.0, 235.0, 235.0)
        faces.append(
            Face(_quad_ground(x0, x1, p.frontage_depth, p.frontage_depth + 0.1, 0.003), col, up)
        )
    lines, line_cols = _ground_lines(rng, p, x0, x1, pav_col)
    # facade: shop units along the street
    storeys = int(rng.integers(1, 5))
    fh = 3.3 + storeys * 3.0
    x = x0
    while x < x1:
        w = float(rng.uniform(3.0, 8.0))
        faces.extend(_shop_unit(rng, x, x + w, fh, hue, sat, val, texture, front, sign, p))
        x += w
    faces.append(
        Face(
            np.array([[x0, 0, fh], [x1, 0, fh], [x1, -1, fh + 0.3], [x0, -1, fh + 0.3]]),
            ob.dull(rng),
            up,
        )
    )
    sky_top = ob.hsv(rng, (0.5, 0.62), (0.2, 0.6), (0.6, 1.0))
    sky_bot = ob.scale(sky_top, 1.2)
    if p.sun_elevation > 0 and p.lighting == "day_sun":
        el, az = p.sun_elevation, p.sun_azimuth
    else:
        el, az = 1.2, p.sun_azimuth
    light = np.array([math.cos(el) * math.cos(az), math.cos(el) * math.sin(az), math.sin(el)])
    return Scene(
        p,
        camera,
        faces,
        lines,
        line_cols,
        [],
        light,
        (sky_top, sky_bot),
        int(rng.integers(0, 2**31)),
        lines_after,
    )


def _quad_ground(x0: float, x1: float, y0: float, y1: float, z: float) -> np.ndarray:
    return np.array([[x0, y0, z], [x1, y0, z], [x1, y1, z], [x0, y1, z]])


def _ground_lines(rng, p: SceneParams, x0, x1, pav_col) -> tuple[np.ndarray, np.ndarray]:
    segs, cols = [], []
    tile = float(rng.uniform(0.3, 1.0))
    joint = ob.scale(pav_col, rng.uniform(0.6, 0.85))
    if rng.random() < 0.8:
        for y in np.arange(tile, p.pavement_width, tile):
            segs.append([[x0, y, 0.001], [x1, y, 0.001]])
            cols.append(joint)
        for x in np.arange(math.floor(x0 / tile) * tile, x1, tile):
            segs.append([[x, 0, 0.001], [x, p.pavement_width, 0.001]])
            cols.append(joint)
    lane = p.pavement_width + p.road_width / 2
    dash = float(rng.uniform(1.5, 3.0))
    for x in np.arange(x0, x1, dash * 2):
        segs.append([[x, lane, -0.149], [x + dash, lane, -0.149]])
        cols.append((220.0, 220.0, 220.0))
    return np.array(segs, dtype=np.float64).reshape(-1, 2, 3), np.array(cols).reshape(-1, 3)


def _shop_unit(rng, xa, xb, fh, hue, sat, val, texture, front, sign, p) -> list[Face]:
    out = np.array([0.0, 1.0, 0.0])
    wall = ob.hsv(rng, hue, sat, val)
    faces = []

    def wall_quad(xl, xr, z0, z1, dy=0.0):
        return np.array([[xl, dy, z0], [xr, dy, z0], [xr, dy, z1], [xl, dy, z1]])

    pattern = {
        "brick": ("u", int((fh) / 0.25), ob.scale(wall, 0.75)),
        "tiles": ("v", int((xb - xa) / 0.4), ob.scale(wall, 0.85)),
        "panels": ("v", int((xb - xa) / 1.2), ob.scale(wall, 0.7)),
        "wood": ("v", int((xb - xa) / 0.15), ob.scale(wall, 0.8)),
        "plain": None,
    }[texture]
    faces.append(Face(wall_quad(xa, xb, 0, fh), wall, out, pattern))
    if texture == "tiles":
        faces.append(
            Face(
                wall_quad(xa, xb, 3.2, fh, 0.001),
                wall,
                out,
                ("u", int((fh - 3.2) / 0.4), ob.scale(wall, 0.85)),
            )
        )
    # ground floor shop front
    m = float(rng.uniform(0.15, 0.5))
    top = float(rng.uniform(2.4, 2.9))
    kind = front if front != "mixed" else ("shutter" if rng.random() < 0.5 else "glass")
    night = p.lighting in ("night_led", "night_sodium", "dusk")
    if kind == "shutter" and rng.random() < 0.6:
        col = ob.metal(rng)
        faces.append(
            Face(
                wall_quad(xa + m, xb - m, 0, top, 0.01),
                col,
                out,
                ("u", int(top / 0.08), ob.scale(col, 0.7)),
            )
        )
    else:
        glass = ob.hsv(rng, (0.5, 0.65), (0.1, 0.5), (0.15, 0.45))
        lit = 0.9 if night and rng.random() < 0.7 else 0.0
        faces.append(
            Face(
                wall_quad(xa + m, xb - m, 0.3, top, 0.01),
                glass,
                out,
                ("v", int(rng.integers(1, 4)), ob.scale(wall, 0.7)),
                emissive=lit,
            )
        )
        for _ in range(int(rng.integers(0, 5))):  # things behind the glass
            ix = rng.uniform(xa + m + 0.2, xb - m - 0.5)
            iz = rng.uniform(0.4, top - 0.5)
            faces.append(
                Face(
                    wall_quad(
                        ix, ix + rng.uniform(0.2, 0.6), iz, iz + rng.uniform(0.2, 0.5), 0.015
                    ),
                    ob.vivid(rng),
                    out,
                    emissive=lit,
                )
            )
        door_x = rng.uniform(xa + m, max(xa + m + 0.01, xb - m - 1.1))
        faces.append(
            Face(
                wall_quad(door_x, door_x + 1.0, 0, top - 0.1, 0.02),
                ob.scale(glass, 0.7),
                out,
                ("v", 1, ob.metal(rng)),
                emissive=lit * 0.7,
            )
        )
    # signboard
    if sign != "none":
        sz0, sz1 = top + 0.1, top + rng.uniform(0.6, 1.0)
        sc = ob.vivid(rng)
        lit = 0.7 if night and rng.random() < 0.6 else 0.0
        if sign == "band":
            sx0, sx1 = xa + 0.1, xb - 0.1
        else:
            sx0 = rng.uniform(xa + 0.1, xa + (xb - xa) / 3)
            sx1 = rng.uniform(sx0 + 1.0, xb - 0.1)
        faces.append(Face(wall_quad(sx0, sx1, sz0, sz1, 0.08), sc, out, emissive=lit))
        glyph = ob.vivid(rng) if rng.random() < 0.5 else (245.0, 245.0, 245.0)
        gx = sx0 + 0.2
        while gx < sx1 - 0.5:
            gw = rng.uniform(0.2, 0.45)
            faces.append(
                Face(wall_quad(gx, gx + gw, sz0 + 0.12, sz1 - 0.12, 0.09), glyph, out, emissive=lit)
            )
            gx += gw + rng.uniform(0.05, 0.2)
    if rng.random() < 0.25:  # fixed awning (part of the building, not a violation)
        ac = ob.vivid(rng)
        dz = rng.uniform(0.6, 1.2)
        faces.append(
            Face(
                np.array(
                    [
                        [xa + m, 0.1, top + 0.1],
                        [xb - m, 0.1, top + 0.1],
                        [xb - m, dz, top - 0.35],
                        [xa + m, dz, top - 0.35],
                    ]
                ),
                ac,
                np.array([0.0, 0.7, 0.7]),
                ("v", int((xb - xa) / 0.4), ob.scale(ac, 0.7)),
            )
        )
    # upper floors
    cols = max(1, int((xb - xa) / rng.uniform(1.4, 2.2)))
    wcol = ob.hsv(rng, (0.5, 0.65), (0.05, 0.4), (0.1, 0.5))
    z = 3.3 + 0.8
    while z + 1.5 < fh:
        for i in range(cols):
            cx = xa + (i + 0.5) * (xb - xa) / cols
            lit = 0.8 if night and rng.random() < 0.35 else 0.0
            faces.append(
                Face(
                    wall_quad(cx - 0.45, cx + 0.45, z, z + 1.4, 0.01),
                    wcol,
                    out,
                    ("v", 1, ob.scale(wall, 0.9)),
                    emissive=lit,
                )
            )
        z += 3.0
    return faces


# ----------------------------------------------------------------------------- placement


def ground_point(rng, camera: Camera, y_range: tuple[float, float], tries: int = 40):
    """A random ground point seen by the camera (uniform over the image), within ``y_range``."""
    r, d, f = camera.axes()
    fl = camera.focal
    for _ in range(tries):
        u = rng.uniform(0.03, 0.97) * camera.width
        v = rng.uniform(0.25, 1.0) * camera.height
        ray = f + (u - camera.width / 2) / fl * r + (v - camera.height / 2) / fl * d
        if ray[2] >= -1e-3:
            continue
        t = -camera.position[2] / ray[2]
        x, y = camera.position[0] + t * ray[0], camera.position[1] + t * ray[1]
        if y_range[0] <= y <= y_range[1] and t < 40:
            return float(x), float(y)
    return None


def facing(camera: Camera, x: float, y: float) -> float:
    """Ground direction of a vertical plane through (x, y) that faces the camera."""
    return math.atan2(camera.position[1] - y, camera.position[0] - x) + math.pi / 2


def populate(rng: np.random.Generator, scene: Scene, balanced: bool = False) -> None:
    """Place labelled objects and distractors on the pavement (and people/bikes on the road).

    ``balanced`` applies ``BALANCED_BUILD_WEIGHTS`` to training-domain scenes.
    """
    p, cam = scene.params, scene.camera
    pav = p.pavement_width
    taken: list[tuple[float, float, float]] = []
    empty = rng.random() < 0.07
    plan: list[str] = []
    balance = balanced and p.domain == "train"
    weights = BALANCED_BUILD_WEIGHTS if balance else BUILD_WEIGHTS
    placement_tries = 4 if balance else 1
    for name, (prob, most) in weights.items():
        if empty and name not in ("person", "two_wheeler"):
            continue
        if rng.random() < prob:
            plan += [name] * int(rng.integers(1, most + 1))
    plan += ["distractor"] * int(rng.integers(1, 7))
    radius = {
        "goods": 0.5,
        "rack": 0.8,
        "table": 0.8,
        "stall": 1.2,
        "umbrella": 0.6,
        "person": 0.0,
        "two_wheeler": 0.5,
        "distractor": 0.5,
    }
    for name in plan:
        if name == "person":
            yr = (0.3, pav + p.road_width)
        elif name == "two_wheeler":
            yr = (0.4, pav + 1.2)
        else:
            yr = (0.3, pav - 0.3)
        rad = radius[name]
        for _ in range(placement_tries):
            pt = ground_point(rng, cam, yr)
            if pt is not None and not (
                rad and any(math.hypot(pt[0] - a, pt[1] - b) < rad + r for a, b, r in taken)
            ):
                break
        else:
            continue
        x, y = pt
        face = facing(cam, x, y)
        thing = (
            ob.distractor(rng, x, y, face)
            if name == "distractor"
            else ob.BUILDERS[name](rng, x, y, face)
        )
        if rad:
            taken.append((x, y, rad))
        scene.things.append(thing)


# ----------------------------------------------------------------------------- render


def _shade(face: Face, light: np.ndarray, ambient: float) -> tuple[float, float, float]:
    if face.normal is None:
        k = ambient + (1 - ambient) * 0.55
    else:
        k = ambient + (1 - ambient) * max(0.0, float(face.normal @ light))
    c = face.color
    return (c[0] * k, c[1] * k, c[2] * k)


def _visible(face: Face, cam: Camera) -> bool:
    if face.normal is None:
        return True
    centre = face.pts.mean(axis=0)
    return float(face.normal @ (np.asarray(cam.position) - centre)) > 0


def _draw_pattern(img, face: Face, cam: Camera, color) -> None:
    kind, n, _ = face.pattern
    q = face.pts
    if len(q) != 4 or n <= 0:
        return
    t = (np.arange(n) + 1) / (n + 1)
    if kind == "u":
        a = q[0] + t[:, None] * (q[3] - q[0])
        b = q[1] + t[:, None] * (q[2] - q[1])
    else:
        a = q[0] + t[:, None] * (q[1] - q[0])
        b = q[3] + t[:, None] * (q[2] - q[3])
    _draw_segments(img, cam, a, b, np.tile(np.asarray(color, float), (n, 1)))


def _draw_segments(img, cam: Camera, a: np.ndarray, b: np.ndarray, colors: np.ndarray) -> None:
    if len(a) == 0:
        return
    ca, cb = cam.to_camera(a), cam.to_camera(b)
    keep = (ca[:, 2] >= NEAR) | (cb[:, 2] >= NEAR)
    ca, cb, colors = ca[keep], cb[keep], colors[keep]
    for src, dst in ((ca, cb), (cb, ca)):
        bad = src[:, 2] < NEAR
        if bad.any():
            t = (NEAR - src[bad, 2]) / (dst[bad, 2] - src[bad, 2])
            src[bad] = src[bad] + t[:, None] * (dst[bad] - src[bad])
    pa, pb = cam.project_cam(ca), cam.project_cam(cb)
    lim = 4 * max(cam.width, cam.height)
    pa, pb = np.clip(pa, -lim, lim), np.clip(pb, -lim, lim)
    for p, q, c in zip(
        (pa * ONE).astype(np.int64), (pb * ONE).astype(np.int64), colors, strict=True
    ):
        cv2.line(
            img,
            (int(p[0]), int(p[1])),
            (int(q[0]), int(q[1])),
            tuple(float(v) for v in c),
            1,
            cv2.LINE_AA,
            SHIFT,
        )


def _poly(pts2d: np.ndarray, cam: Camera) -> np.ndarray:
    lim = 4 * max(cam.width, cam.height)
    return (np.clip(pts2d, -lim, lim) * ONE).astype(np.int32)


def ambient_for(lighting: str) -> float:
    return {"day_sun": 0.45, "day_overcast": 0.75, "dusk": 0.7, "ir": 0.65}.get(lighting, 0.72)


def render_background(scene: Scene) -> tuple[np.ndarray, np.ndarray]:
    """Sky, ground and facade: (BGR float32 image, emissive mask float32)."""
    cam = scene.camera
    h, w = cam.height, cam.width
    grad = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    top, bot = (np.array(c, np.float32) for c in scene.sky)
    img = np.ascontiguousarray(np.broadcast_to(top * (1 - grad) + bot * grad, (h, w, 3)))
    emissive = np.zeros((h, w), np.float32)
    amb = ambient_for(scene.params.lighting)
    for i, face in enumerate(scene.background):
        if i == scene.lines_after:
            _draw_segments(
                img,
                cam,
                scene.ground_lines[:, 0],
                scene.ground_lines[:, 1],
                scene.line_colors * amb,
            )
        if not _visible(face, cam):
            continue
        pts = cam.project(face.pts)
        if pts is None:
            continue
        poly = _poly(pts, cam)
        cv2.fillPoly(img, [poly], _shade(face, scene.light, amb), cv2.LINE_AA, SHIFT)
        if face.emissive:
            cv2.fillPoly(emissive, [poly], face.emissive, cv2.LINE_8, SHIFT)
        if face.pattern:
            _draw_pattern(
                img,
                face,
                cam,
                _shade(Face(face.pts, face.pattern[2], face.normal), scene.light, amb),
            )
    rng = np.random.default_rng(scene.texture_seed)
    tex = rng.uniform(0.82, 1.12, (max(2, h // 24), max(2, w // 24), 1)).astype(np.float32)
    img *= cv2.resize(tex, (w, h), interpolation=cv2.INTER_CUBIC)[:, :, None]
    return img, emissive


def thing_depth(cam: Camera, thing: Thing) -> float:
    return cam.depth(np.array([thing.anchor[0], thing.anchor[1], 0.0]))


def render(
    scene: Scene,
    background: tuple[np.ndarray, np.ndarray] | None = None,
    things: list[Thing] | None = None,
) -> tuple[np.ndarray, np.ndarray, list[Label]]:
    """Render ``things`` (default: the scene's) over the background.

    Returns (BGR float32 image, emissive mask, labels) before camera effects.
    """
    cam = scene.camera
    bg_img, bg_em = background if background is not None else render_background(scene)
    img, emissive = bg_img.copy(), bg_em.copy()
    things = scene.things if things is None else things
    amb = ambient_for(scene.params.lighting)
    _cast_shadows(img, scene, things)
    order = sorted(range(len(things)), key=lambda i: -thing_depth(cam, things[i]))
    ids = np.zeros((cam.height, cam.width), np.uint16)
    drawn: dict[int, list[np.ndarray]] = {}
    for idx in order:
        thing = things[idx]
        faces = [f for f in thing.faces if _visible(f, cam)]
        if not thing.keep_order:
            faces.sort(key=lambda f: -float(cam.to_camera(f.pts)[:, 2].mean()))
        polys = []
        for face in faces:
            pts = cam.project(face.pts)
            if pts is None:
                continue
            poly = _poly(pts, cam)
            cv2.fillPoly(img, [poly], _shade(face, scene.light, amb), cv2.LINE_AA, SHIFT)
            cv2.fillPoly(ids, [poly], idx + 1, cv2.LINE_8, SHIFT)
            if face.pattern:
                _draw_pattern(
                    img,
                    face,
                    cam,
                    _shade(Face(face.pts, face.pattern[2], face.normal), scene.light, amb),
                )
            polys.append(poly)
        drawn[idx] = polys
    labels = []
    for idx, thing in enumerate(things):
        if thing.class_id is None or not drawn.get(idx):
            continue
        seen = _label_box(drawn[idx], ids, idx + 1, cam)
        if seen is not None:
            labels.append(Label(thing.class_id, seen[0], idx, seen[1], seen[2]))
    return img, emissive, labels


def _label_box(polys: list[np.ndarray], ids: np.ndarray, k: int, cam: Camera):
    allpts = np.concatenate(polys).astype(np.float64) / ONE
    x1, y1 = allpts.min(axis=0)
    x2, y2 = allpts.max(axis=0)
    full = max((x2 - x1) * (y2 - y1), 1e-6)
    cx1, cy1 = max(x1, 0.0), max(y1, 0.0)
    cx2, cy2 = min(x2, cam.width), min(y2, cam.height)
    if cx2 <= cx1 or cy2 <= cy1:
        return None
    if (cx2 - cx1) * (cy2 - cy1) / full < MIN_INSIDE:
        return None
    min_side = MIN_BOX_FRACTION * cam.width
    if cx2 - cx1 < min_side or cy2 - cy1 < min_side:
        return None
    # a pixel beyond the box on each side: the fill of a face reaches the pixel its edge touches
    ix1, iy1 = max(int(cx1) - 1, 0), max(int(cy1) - 1, 0)
    ix2, iy2 = min(int(math.ceil(cx2)) + 1, cam.width), min(int(math.ceil(cy2)) + 1, cam.height)
    own = np.zeros((iy2 - iy1, ix2 - ix1), np.uint8)
    shifted = [p - np.array([ix1 * ONE, iy1 * ONE], np.int32) for p in polys]
    for poly in shifted:  # one call per face: a single call leaves overlapping faces unfilled
        cv2.fillPoly(own, [poly], 1, cv2.LINE_8, SHIFT)
    own_px = int(own.sum())
    if own_px == 0:
        return None
    mine = ids[iy1:iy2, ix1:ix2] == k
    visible = int(np.count_nonzero(mine))
    if visible / own_px < MIN_VISIBLE:
        return None
    rows, cols = np.nonzero(mine)
    seen = (float(ix1 + cols.min()), float(iy1 + rows.min()),
            float(ix1 + cols.max() + 1), float(iy1 + rows.max() + 1))  # fmt: skip
    return (float(cx1), float(cy1), float(cx2), float(cy2)), visible / own_px, seen


def _cast_shadows(img: np.ndarray, scene: Scene, things: list[Thing]) -> None:
    p = scene.params
    if p.lighting not in ("day_sun", "day_overcast", "dusk", "dawn_haze"):
        return
    cam = scene.camera
    mask = np.zeros(img.shape[:2], np.float32)
    sun = scene.light
    soft = p.lighting != "day_sun"
    horiz = -sun[:2] / max(np.linalg.norm(sun[:2]), 1e-6)
    length_per_m = 0.3 if soft else min(3.0, 1.0 / math.tan(max(0.3, p.sun_elevation)))
    for thing in things:
        if thing.footprint is None or thing.height <= 0:
            continue
        fp = thing.footprint
        shifted = fp + horiz * thing.height * length_per_m
        hull = cv2.convexHull(np.concatenate([fp, shifted]).astype(np.float32)).reshape(-1, 2)
        pts = cam.project(np.column_stack([hull, np.full(len(hull), 0.002)]))
        if pts is not None:
            cv2.fillPoly(mask, [_poly(pts, cam)], 1.0, cv2.LINE_AA, SHIFT)
    if not soft:  # a building's shadow across part of the pavement
        rng = np.random.default_rng(scene.texture_seed + 1)
        if rng.random() < 0.5:
            y = rng.uniform(0.5, p.pavement_width + p.road_width)
            x0 = cam.position[0] + rng.uniform(-20, 0)
            x1 = x0 + rng.uniform(5, 30)
            poly = np.array(
                [[x0, 0, 0.002], [x1, 0, 0.002], [x1 + 2, y, 0.002], [x0 + 2, y, 0.002]]
            )
            pts = cam.project(poly)
            if pts is not None:
                cv2.fillPoly(mask, [_poly(pts, cam)], 1.0, cv2.LINE_AA, SHIFT)
    strength = 0.25 if soft else 0.45
    mask = cv2.GaussianBlur(mask, (0, 0), 1.0 + cam.width / 640 * (3 if soft else 1))
    img *= (1.0 - strength * mask)[:, :, None]
