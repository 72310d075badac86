"""A fixed street camera for scenario videos: the scene, the shop frontage zones and actors.

The background is rendered once per scenario; actors (objects and people) move along keyframed
paths and are composited per frame. Ground truth episodes are derived from the same timeline
that drives the pictures, so truth and video cannot disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from streetorder.models.synth.camera import Camera
from streetorder.models.synth.geometry import Face, Thing
from streetorder.models.synth.params import (
    HELDOUT_FACADE_STYLES,
    TRAIN_FACADE_STYLES,
    SceneParams,
    yaw_bin,
    yaw_bin_is_heldout,
)
from streetorder.models.synth.scene import Scene, build_background, make_camera
from streetorder.vocabulary import CLASS_NAMES

ZONE_MARGIN = 0.02  # zones keep this share of the frame away from its edges


@dataclass(frozen=True)
class Zone:
    """A shop's frontage on the pavement: x in [x0, x1] along the street, y in [0, depth]."""

    zone_id: str
    shop_id: str
    x0: float
    x1: float
    depth: float

    def contains(self, x: float, y: float) -> bool:
        return self.x0 <= x <= self.x1 and 0.0 <= y <= self.depth

    def corners(self) -> np.ndarray:
        return np.array(
            [[self.x0, 0.0, 0.0], [self.x1, 0.0, 0.0], [self.x1, self.depth, 0.0],
             [self.x0, self.depth, 0.0]]
        )  # fmt: skip

    @property
    def centre(self) -> tuple[float, float]:
        return ((self.x0 + self.x1) / 2, self.depth / 2)


@dataclass(frozen=True)
class Key:
    """An actor's position at time ``t``; ``z`` > 0 means carried (lifted off the ground)."""

    t: float
    x: float
    y: float
    z: float = 0.0


@dataclass
class Actor:
    """One object over time: ``thing`` is built at ``origin`` and translated along ``keys``.

    Present for ``t_in <= t < t_out``; between keys the position is linearly interpolated.
    """

    object_id: int
    thing: Thing
    origin: tuple[float, float]
    keys: list[Key]
    t_in: float = 0.0
    t_out: float = math.inf

    def present(self, t: float) -> bool:
        return self.t_in <= t < self.t_out

    def pose(self, t: float) -> Key:
        keys = self.keys
        if t <= keys[0].t:
            return replace(keys[0], t=t)
        for a, b in zip(keys, keys[1:], strict=False):
            if a.t <= t <= b.t:
                k = 0.0 if b.t == a.t else (t - a.t) / (b.t - a.t)
                return Key(t, a.x + k * (b.x - a.x), a.y + k * (b.y - a.y), a.z + k * (b.z - a.z))
        return replace(keys[-1], t=t)

    def placed_at(self, t: float) -> Key | None:
        """The pose when present and standing on the ground (not carried), else None."""
        if not self.present(t):
            return None
        pose = self.pose(t)
        return pose if pose.z <= 1e-6 else None

    def posed(self, t: float) -> Thing:
        pose = self.pose(t)
        return moved(self.thing, pose.x - self.origin[0], pose.y - self.origin[1], pose.z)


def moved(thing: Thing, dx: float, dy: float, dz: float = 0.0) -> Thing:
    """A copy of ``thing`` translated by (dx, dy, dz) metres."""
    if dx == 0.0 and dy == 0.0 and dz == 0.0:
        return thing
    off = np.array([dx, dy, dz])
    faces = [Face(f.pts + off, f.color, f.normal, f.pattern, f.emissive) for f in thing.faces]
    fp = None if thing.footprint is None else thing.footprint + np.array([dx, dy])
    return replace(
        thing,
        faces=faces,
        anchor=(thing.anchor[0] + dx, thing.anchor[1] + dy),
        footprint=fp,
    )


@dataclass
class Stage:
    """The fixed camera, its rendered-once scene description, zones and the look-at point."""

    params: SceneParams
    camera: Camera
    scene: Scene
    zones: list[Zone]
    target: tuple[float, float]  # ground point at the image centre
    static: list[Thing] = field(default_factory=list)  # distractors that never move

    def relative_polygon(self, zone: Zone) -> list[list[float]]:
        pts = self.camera.project(zone.corners())
        assert pts is not None
        w, h = self.camera.width, self.camera.height
        return [[round(float(np.clip(u / w, 0, 1)), 4), round(float(np.clip(v / h, 0, 1)), 4)]
                for u, v in pts]  # fmt: skip

    def zone_of(self, x: float, y: float) -> Zone | None:
        return next((z for z in self.zones if z.contains(x, y)), None)


def scenario_params(rng: np.random.Generator, domain: str, lighting: str) -> SceneParams:
    """Camera and street for a scenario: a pole camera looking at a few shop fronts.

    Narrower than the training distribution (the zones must be in view), but facade styles and
    yaw bins follow the same train / held-out split as the image data set.
    """
    heldout = domain == "heldout"
    styles = HELDOUT_FACADE_STYLES if heldout else TRAIN_FACADE_STYLES
    while True:
        yaw = float(rng.uniform(-28.0, 28.0))
        if yaw_bin_is_heldout(yaw_bin(yaw)) == heldout:
            break
    pav = float(rng.uniform(3.6, 5.5))
    pitch = float(rng.uniform(28.0, 40.0))
    height = float(rng.uniform(3.6, 5.0))
    target_y = float(rng.uniform(1.0, 1.8))
    ground = height / math.tan(math.radians(pitch))
    return SceneParams(
        domain=domain,
        facade_style=int(rng.choice(styles)),
        lighting=lighting,
        yaw_deg=yaw,
        pitch_deg=pitch,
        cam_height=height,
        cam_y=target_y + ground * math.cos(math.radians(yaw)),
        hfov_deg=float(rng.uniform(44.0, 56.0)),
        pavement_width=pav,
        road_width=float(rng.uniform(6.0, 9.0)),
        frontage_line=bool(rng.random() < 0.5),
        frontage_depth=float(rng.uniform(1.6, 2.2)),
        rain=False,
        sun_azimuth=float(rng.uniform(0, 2 * math.pi)),
        sun_elevation=float(rng.uniform(0.4, 1.1)),
    )


def build_stage(
    rng: np.random.Generator, domain: str, lighting: str, width: int, height: int
) -> Stage:
    """Draw camera parameters until two adjacent frontage zones are fully in view."""
    for _ in range(200):
        p = scenario_params(rng, domain, lighting)
        cam = make_camera(p, width, height)
        ground = p.cam_height / math.tan(math.radians(p.pitch_deg))
        tx = ground * math.sin(math.radians(p.yaw_deg))
        ty = p.cam_y - ground * math.cos(math.radians(p.yaw_deg))
        w1, w2 = float(rng.uniform(2.6, 3.6)), float(rng.uniform(2.6, 3.6))
        depth = p.frontage_depth
        zones = [
            Zone("z1", "shop-001", tx - w1, tx, depth),
            Zone("z2", "shop-002", tx, tx + w2, depth),
        ]
        if all(_in_view(cam, z) for z in zones):
            scene = build_background(rng, p, cam)
            return Stage(p, cam, scene, zones, (tx, ty))
    raise RuntimeError("no camera placement shows both zones")  # pragma: no cover


def _in_view(cam: Camera, zone: Zone) -> bool:
    pts = cam.project(zone.corners())
    if pts is None or len(pts) != 4:
        return False
    lo = np.array([cam.width, cam.height]) * ZONE_MARGIN
    hi = np.array([cam.width, cam.height]) * (1 - ZONE_MARGIN)
    return bool(np.all(pts >= lo) and np.all(pts <= hi))


@dataclass(frozen=True)
class Episode:
    zone_id: str
    shop_id: str
    start: float
    end: float
    threshold: float
    classes: tuple[str, ...]


def derive_episodes(
    stage: Stage,
    actors: list[Actor],
    classes: tuple[str, ...],
    dwell: dict[str, float],
    clear_seconds: float,
    duration: float,
    fps: float,
) -> list[Episode]:
    """Violation episodes implied by the timeline, sampled at the frame times.

    A zone is occupied at ``t`` when an actor of one of ``classes`` stands on the ground with its
    anchor inside the zone. Occupied spans separated by less than ``clear_seconds`` merge; a
    span lasting at least the zone's dwell is an episode.
    """
    n = int(round(duration * fps))
    episodes: list[Episode] = []
    for zone in stage.zones:
        spans: list[list] = []  # [start, end, set(classes)]
        for i in range(n):
            t = i / fps
            here = set()
            for a in actors:
                name = CLASS_NAMES[a.thing.class_id] if a.thing.class_id is not None else None
                if name not in classes:
                    continue
                pose = a.placed_at(t)
                if pose is not None and zone.contains(pose.x, pose.y):
                    here.add(name)
            if not here:
                continue
            end = min(duration, t + 1 / fps)
            if spans and t - spans[-1][1] < clear_seconds:
                spans[-1][1] = end
                spans[-1][2] |= here
            else:
                spans.append([t, end, here])
        for start, end, names in spans:
            if end - start >= dwell[zone.zone_id]:
                ordered = tuple(c for c in CLASS_NAMES if c in names)
                episodes.append(
                    Episode(zone.zone_id, zone.shop_id, round(start, 3), round(end, 3),
                            round(start + dwell[zone.zone_id], 3), ordered)
                )  # fmt: skip
    return sorted(episodes, key=lambda e: (e.start, e.zone_id))
