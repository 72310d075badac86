"""Scenario videos with ground truth: what the edge's dwell rule must (and must not) alert on.

Each scenario is a short script of actors on a fixed street camera (``stage``). ``write_set``
renders the videos (H.264 mp4 via PyAV), their ``<name>.truth.json`` (per-frame boxes from the
renderer's labels, violation episodes derived from the same timeline), an edge node config
``<name>.yaml`` and ``index.json`` (formats in docs/INTERFACES.md).

Sets: ``smoke`` (four short training-domain videos, generated in seconds), ``test`` (every
scenario, training domain) and ``heldout`` (every scenario, held-out facades/angles/lighting);
``streets`` and ``streets-heldout`` hold the traps of real streets (fixed furniture and shop
fittings inside the frontages that a detector mislabels, goods already out when the camera
starts, light drift, camera shake, rain). ``review`` (held-out domain) is the review loop's
scene: a fitting the detector may mislabel stands in one frontage from the start, goods are put
out in front of the other shop later, so the false alert's frame shows no goods
(``scripts/bench_review_loop.py``, ``tests/models/test_review_loop.py``).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from streetorder.models.synth import objects as ob
from streetorder.models.synth.geometry import Face, Thing, bar2d, cuboid, ellipse2d, sprite
from streetorder.models.synth.stage import Actor, Key, Stage, Zone, build_stage, moved
from streetorder.vocabulary import CLASS_IDS, DEFAULT_VIOLATION_CLASSES

WALK = 1.3  # m/s
PUSH = 0.9  # m/s, pushing a trolley, stall or scooter
CARRY_Z = 0.7  # goods carried in the arms
DEFAULT_DWELL = 20.0
CLEAR_SECONDS = 10.0


@dataclass
class Script:
    """Collects actors and the light level over time while a scenario script runs."""

    stage: Stage
    rng: np.random.Generator
    duration: float
    actors: list[Actor] = field(default_factory=list)
    light: list[tuple[float, float]] = field(default_factory=lambda: [(0.0, 1.0)])
    shake: float = 0.0  # camera shake: random offset of up to this many pixels per frame
    rain: float = 0.0  # rain streaks: 0 none .. 1 heavy

    # -- building blocks -------------------------------------------------------------------

    def add(self, thing: Thing, keys: list[Key], t_in: float = 0.0, t_out: float = math.inf):
        actor = Actor(len(self.actors) + 1, thing, thing.anchor, keys, t_in, t_out)
        self.actors.append(actor)
        return actor

    def face(self, x: float, y: float) -> float:
        cam = self.stage.camera
        return math.atan2(cam.position[1] - y, cam.position[0] - x) + math.pi / 2

    def spot(self, zone: Zone, share: float = 0.5) -> tuple[float, float]:
        """A ground point inside ``zone`` (``share`` along it), away from its edges."""
        x = zone.x0 + 0.8 + share * (zone.x1 - zone.x0 - 1.6) + self.rng.uniform(-0.15, 0.15)
        return float(x), float(zone.depth * self.rng.uniform(0.4, 0.55))

    def lane(self) -> float:
        """A walking lane on the pavement outside the zones."""
        p = self.stage.params
        return float(self.rng.uniform(self.stage.zones[0].depth + 0.5, p.pavement_width - 0.4))

    def off_x(self, side: int) -> float:
        """An x beyond the frame edge on ``side`` (-1 left, +1 right) near the zones."""
        zs = self.stage.zones
        return (zs[0].x0 - 9.0) if side < 0 else (zs[-1].x1 + 9.0)

    def person(self, x: float, y: float, walking: bool = True) -> Thing:
        return ob.person(self.rng, x, y, self.face(x, y), walking=walking)

    def build(self, cls: str, x: float, y: float) -> Thing:
        return ob.BUILDERS[cls](self.rng, x, y, self.face(x, y))

    # -- motions ---------------------------------------------------------------------------

    @staticmethod
    def route(t0: float, start: tuple[float, float], *legs, speed: float = WALK) -> list[Key]:
        """Keys from ``start`` at ``t0`` through legs: (x, y) to walk to, or a float to wait."""
        keys = [Key(t0, *start)]
        for leg in legs:
            last = keys[-1]
            if isinstance(leg, int | float):
                keys.append(Key(last.t + float(leg), last.x, last.y))
            else:
                dist = math.hypot(leg[0] - last.x, leg[1] - last.y)
                keys.append(Key(last.t + dist / speed, float(leg[0]), float(leg[1])))
        return keys

    def walker(self, t0: float, side: int, y: float | None = None, speed: float = WALK) -> Actor:
        """Someone walking past along the pavement without stopping."""
        y = self.lane() if y is None else y
        start, end = (self.off_x(side), y), (self.off_x(-side), y)
        keys = self.route(t0, start, end, speed=speed)
        mid = ((self.stage.zones[0].x0 + self.stage.zones[-1].x1) / 2, y)
        return self.add(self.person(*mid), keys, t0, keys[-1].t)

    def deliver(self, thing: Thing, at: tuple[float, float], t_place: float, side: int,
                lift: float = CARRY_Z) -> tuple[Actor, list[Key]]:  # fmt: skip
        """A porter carries ``thing`` in from ``side`` and puts it down at ``at`` at ``t_place``.

        Returns the object's actor and its keys (callers may extend them to take it away).
        """
        lane = self.lane()
        stand = (at[0] - side * 0.9, at[1] + 0.3)
        walk_in = [(at[0] - side * 3.0, lane), stand]
        start = (self.off_x(side), lane)
        keys = self.route(0.0, start, *walk_in)
        arrive = keys[-1].t
        keys = [Key(k.t + t_place - arrive, k.x, k.y) for k in keys]
        out = self.route(t_place, stand, 1.5, (stand[0], lane), (self.off_x(side), lane))
        porter_keys = keys + out[1:]
        porter = self.person(*stand)
        self.add(porter, porter_keys, porter_keys[0].t, porter_keys[-1].t)
        carried = [Key(k.t, k.x + side * 0.35, k.y + 0.2, lift) for k in keys]
        obj_keys = [*carried, Key(t_place + 0.4, at[0], at[1], 0.0)]
        thing = moved(thing, at[0] - thing.anchor[0], at[1] - thing.anchor[1])
        actor = self.add(thing, obj_keys, obj_keys[0].t)
        return actor, obj_keys

    def take_in(self, actor: Actor, t_pick: float, side: int) -> None:
        """A porter comes out of the shop, picks ``actor`` up at ``t_pick`` and carries it in."""
        at = actor.pose(t_pick)
        stand = (at.x - side * 0.9, at.y + 0.3)
        door = (at.x - side * 0.9, 0.05)
        come = self.route(0.0, door, stand)
        lead = come[-1].t
        keys = [Key(k.t + t_pick - lead, k.x, k.y) for k in come]
        back = self.route(t_pick, stand, 1.0, door)
        porter_keys = keys + back[1:]
        self.add(self.person(*stand), porter_keys, porter_keys[0].t, porter_keys[-1].t)
        leave = [Key(k.t, k.x + side * 0.35, k.y + 0.2, CARRY_Z) for k in back[1:]]
        actor.keys = [k for k in actor.keys if k.t < t_pick] + [
            Key(t_pick, at.x, at.y, 0.0),
            Key(t_pick + 1.0, at.x, at.y, CARRY_Z),
            *leave,
        ]
        actor.t_out = porter_keys[-1].t

    def passers(self, count: int, t_from: float = 0.0, t_to: float | None = None) -> None:
        t_to = self.duration - 5.0 if t_to is None else t_to
        for _ in range(count):
            side = -1 if self.rng.random() < 0.5 else 1
            self.walker(float(self.rng.uniform(t_from, max(t_from, t_to))), side)

    def dim(self, t0: float, t1: float, level: float) -> None:
        """Light falls (or rises) linearly to ``level`` between ``t0`` and ``t1``."""
        self.light += [(t0, self.light[-1][1]), (t1, level)]

    def level(self, t: float) -> float:
        pts = self.light
        for (ta, la), (tb, lb) in zip(pts, pts[1:], strict=False):
            if ta <= t <= tb:
                return la if tb == ta else la + (t - ta) / (tb - ta) * (lb - la)
        return pts[-1][1] if t >= pts[-1][0] else pts[0][1]


# ----------------------------------------------------------------------------- props


def carton_stack(rng: np.random.Generator, x: float, y: float, yaw: float) -> Thing:
    """Two or three cardboard cartons stacked on a hand trolley's plate (labelled goods)."""
    faces: list[Face] = []
    z = 0.05
    w, d = rng.uniform(0.45, 0.6), rng.uniform(0.35, 0.45)
    for _ in range(int(rng.integers(2, 4))):
        h = rng.uniform(0.25, 0.4)
        col = ob.cardboard(rng)
        faces += cuboid(x, y, z, w, d, h, yaw, col, top=ob.scale(col, 1.1),
                        side_pattern=("v", 1, ob.scale(col, 0.7)))  # fmt: skip
        z += h
    fp = np.array([[-w, -d], [w, -d], [w, d], [-w, d]]) / 2 + [x, y]
    return Thing(faces, CLASS_IDS["goods"], (x, y), fp, z, name="goods:cartons")


def hand_trolley(x: float, y: float, face: float) -> Thing:
    """A two-wheeled delivery trolley frame (unlabelled: a distractor)."""
    metal = (90.0, 90.0, 95.0)
    shapes = [
        (bar2d((-0.3, 0.05), (-0.3, 1.3), 0.04), metal),
        (bar2d((0.3, 0.05), (0.3, 1.3), 0.04), metal),
        (bar2d((-0.3, 1.3), (0.3, 1.3), 0.04), metal),
        (bar2d((-0.32, 0.04), (0.32, 0.04), 0.05), metal),
        (ellipse2d(-0.3, 0.1, 0.1, 0.1, 12), (25.0, 25.0, 25.0)),
        (ellipse2d(0.3, 0.1, 0.1, 0.1, 12), (25.0, 25.0, 25.0)),
    ]
    faces = sprite(x, y - 0.3, face, shapes)
    return Thing(faces, None, (x, y - 0.3), None, 1.3, keep_order=True, name="trolley")


# ----------------------------------------------------------------------------- scripts


def goods_left(s: Script) -> None:
    """Goods put out in front of shop 1 and left there."""
    z1 = s.stage.zones[0]
    at = s.spot(z1)
    s.deliver(s.build("goods", *at), at, t_place=min(12.0, s.duration * 0.15), side=-1)
    s.passers(2 if s.duration < 90 else 4)


def carried_across(s: Script) -> None:
    """Porters carry goods along the frontage, through both zones, without stopping."""
    zs = s.stage.zones
    n = 2 if s.duration < 60 else 3
    for i in range(n):
        side = -1 if i % 2 == 0 else 1
        y = zs[0].depth * float(s.rng.uniform(0.35, 0.6))
        t0 = 3.0 + i * (s.duration - 25.0) / max(1, n - 1)
        porter = s.walker(t0, side, y=y, speed=WALK * 0.9)
        goods = s.build("goods", *porter.origin)
        keys = [Key(k.t, k.x + side * 0.35, k.y + 0.2, CARRY_Z) for k in porter.keys]
        s.add(goods, keys, porter.t_in, porter.t_out)
    s.passers(1)


def person_standing(s: Script) -> None:
    """A person walks into shop 1's frontage and stands there for minutes, then leaves."""
    z1 = s.stage.zones[0]
    at = s.spot(z1)
    lane = s.lane()
    start = (s.off_x(-1), lane)
    stay = s.duration - 15.0
    keys = s.route(2.0, start, (at[0], lane), at, stay, (at[0], lane), (s.off_x(1), lane))
    s.add(s.person(*at, walking=False), keys, keys[0].t, keys[-1].t)
    s.passers(2)


def trolley_parked(s: Script) -> None:
    """A delivery trolley with cartons stands in shop 1's frontage for ~40 s (dwell is 60 s)."""
    z1 = s.stage.zones[0]
    at = s.spot(z1)
    lane = s.lane()
    start = (s.off_x(-1), lane)
    t_park, t_leave = 8.0, 48.0
    door = (at[0] + 0.9, 0.05)
    push_in = s.route(0.0, start, (at[0] - 1.0, lane), (at[0], at[1] + 0.5), speed=PUSH)
    shift = t_park - push_in[-1].t
    push_in = [Key(k.t + shift, k.x, k.y) for k in push_in]
    inside = s.route(t_park, (push_in[-1].x, push_in[-1].y), door)
    back = s.route(t_leave - 4.0, door, (at[0], at[1] + 0.5))
    push_out = s.route(t_leave, (at[0], at[1] + 0.5), (at[0] + 1.0, lane), (s.off_x(1), lane),
                       speed=PUSH)  # fmt: skip
    porter = s.person(at[0], at[1] + 0.5)
    s.add(porter, push_in + inside[1:], push_in[0].t, inside[-1].t)
    s.add(s.person(at[0], at[1] + 0.5), back + push_out[1:], back[0].t, push_out[-1].t)
    cart_keys = [Key(k.t, k.x, k.y - 0.5) for k in (push_in + push_out)]
    yaw = float(s.rng.uniform(-0.2, 0.2))
    s.add(carton_stack(s.rng, at[0], at[1], yaw), cart_keys, cart_keys[0].t, cart_keys[-1].t)
    s.add(hand_trolley(at[0], at[1], s.face(*at)), cart_keys, cart_keys[0].t, cart_keys[-1].t)
    s.passers(2)


def two_wheeler_parked(s: Script) -> None:
    """A scooter is pushed into shop 1's frontage and parked there for the rest of the video."""
    z1 = s.stage.zones[0]
    at = s.spot(z1)
    lane = s.lane()
    start = (s.off_x(1), lane)
    keys = s.route(0.0, start, (at[0] + 1.0, lane), at, speed=PUSH)
    keys = [Key(k.t + 8.0 - keys[-1].t, k.x, k.y) for k in keys]
    bike = ob.two_wheeler(s.rng, *at, s.face(*at), theta=float(s.rng.uniform(-0.3, 0.3)))
    s.add(bike, keys, keys[0].t)
    rider_keys = [Key(k.t, k.x + 0.5, k.y + 0.3) for k in keys]
    rider_keys += s.route(keys[-1].t, (at[0] + 0.5, at[1] + 0.3), 1.0, (at[0] + 0.5, lane),
                          (s.off_x(-1), lane))[1:]  # fmt: skip
    s.add(s.person(at[0] + 0.5, at[1] + 0.3), rider_keys, rider_keys[0].t, rider_keys[-1].t)
    s.passers(2)


def put_out_twice(s: Script) -> None:
    """Goods put out, taken in (zone clear for longer than clear_seconds), then put out again."""
    z1 = s.stage.zones[0]
    at = s.spot(z1)
    d = s.duration
    t1, t2, t3 = d * 0.07, d * 0.42, d * 0.65
    goods = s.build("goods", *at)
    actor, _ = s.deliver(goods, at, t_place=t1, side=-1)
    s.take_in(actor, t2, side=-1)
    at2 = s.spot(z1)
    s.deliver(s.build("goods", *at2), at2, t_place=t3, side=1)
    s.passers(2)


def lighting_change(s: Script) -> None:
    """Goods left out while the light drops (clouds, dusk, lights switched off) mid-episode."""
    goods_left(s)
    t = s.duration * 0.5
    s.dim(t, t + 6.0, 0.6)


def night(s: Script) -> None:
    """At night: a table set up in front of shop 1 and goods put out in front of shop 2."""
    z1 = s.stage.zones[0]
    at = s.spot(z1, share=0.3)
    s.deliver(s.build("table", *at), at, t_place=min(10.0, s.duration * 0.12), side=-1, lift=0.2)
    at2 = s.spot(s.stage.zones[1])
    s.deliver(s.build("goods", *at2), at2, t_place=min(16.0, s.duration * 0.2), side=1)
    s.passers(2)


def stall_and_rack(s: Script) -> None:
    """A stall cart is pushed into shop 2's frontage and a rack is set up in shop 1's."""
    z1, z2 = s.stage.zones
    at = s.spot(z2)
    lane = s.lane()
    start = (s.off_x(1), lane)
    keys = s.route(0.0, start, (at[0], lane), at, speed=PUSH)
    keys = [Key(k.t + 10.0 - keys[-1].t, k.x, k.y) for k in keys]
    s.add(s.build("stall", *at), keys, keys[0].t)
    vendor = [Key(k.t, k.x - 1.2, k.y + 0.4) for k in keys]
    vendor += s.route(keys[-1].t, (at[0] - 1.2, at[1] + 0.4), s.duration)[1:]
    s.add(s.person(at[0] - 1.2, at[1] + 0.4, walking=False), vendor, vendor[0].t)
    at1 = s.spot(z1, share=0.4)
    s.deliver(s.build("rack", *at1), at1, t_place=20.0, side=-1, lift=0.15)
    s.passers(2)


# ----------------------------------------------------------------------------- real-street traps

#: Street furniture that stands inside a frontage for good (rendered into the background).
FURNITURE = ("bollard", "planter", "bench", "round_bin", "wheelie_bin", "signpost", "bike_hoops")
#: Permanent shop fittings built like the violation classes: a detector will score them as such.
FITTINGS = ("rack", "table", "goods")


def furnish(s: Script, count: int = 3) -> int:
    """Fixed furniture and at least one permanent shop fitting inside the frontage zones;
    returns the index of the fitting's zone."""
    zones = s.stage.zones
    fitting_zone = int(s.rng.integers(len(zones)))
    cls = str(s.rng.choice(FITTINGS))
    x, y = s.spot(zones[fitting_zone], share=float(s.rng.uniform(0.6, 0.9)))
    fixture = s.build(cls, x, y)
    s.stage.static.append(replace(fixture, class_id=None, name=f"fitting:{cls}"))
    for i in range(count - 1):
        zone = zones[(fitting_zone + 1 + i) % len(zones)]
        x, y = s.spot(zone, share=float(s.rng.uniform(0.1, 0.9)))
        kind = str(s.rng.choice(FURNITURE))
        s.stage.static.append(ob.furniture(s.rng, kind, x, y, s.face(x, y)))
    return fitting_zone


def furniture_only(s: Script) -> None:
    """Fixed furniture and a shop fitting stand in the frontages; people pass; nothing is put
    out."""
    furnish(s)
    s.passers(4)


def furniture_at_dusk(s: Script) -> None:
    """Fixed furniture only, while the light drifts down over the whole video (a day's dusk)."""
    furnish(s)
    s.dim(0.0, s.duration, 0.45)
    s.passers(3)


def goods_among_furniture(s: Script) -> None:
    """Furniture in the frontages; goods are put out beside it and left, in rain, on a shaking
    camera."""
    furnish(s, count=2)
    s.shake, s.rain = 2.0, 0.6
    goods_left(s)


def goods_out_at_start(s: Script) -> None:
    """Goods already stand in shop 1's frontage when the camera starts; taken in later."""
    furnish(s, count=2)
    z1 = s.stage.zones[0]
    at = s.spot(z1, share=0.3)
    goods = s.build("goods", *at)
    actor = s.add(goods, [Key(0.0, at[0], at[1])], 0.0)
    s.take_in(actor, s.duration * 0.7, side=-1)
    s.passers(3)


def delivery_left_briefly(s: Script) -> None:
    """A delivery is left in shop 1's frontage for about 40 s (dwell 60 s), then taken in."""
    furnish(s, count=2)
    z1 = s.stage.zones[0]
    at = s.spot(z1)
    actor, _ = s.deliver(s.build("goods", *at), at, t_place=8.0, side=-1)
    s.take_in(actor, 48.0, side=-1)
    s.passers(2)


def fitting_then_goods(s: Script) -> None:
    """A shop fitting stands in one frontage from the start (a detector may take it for goods);
    at 40 s goods are put out in front of the other shop and left there."""
    fitting_zone = furnish(s, count=2)
    zone = s.stage.zones[(fitting_zone + 1) % len(s.stage.zones)]
    at = s.spot(zone)
    s.deliver(s.build("goods", *at), at, t_place=40.0, side=-1 if zone is s.stage.zones[0] else 1)
    s.passers(2)


@dataclass(frozen=True)
class Spec:
    name: str
    script: Callable[[Script], None]
    duration: float
    night: bool = False
    dwell: float = DEFAULT_DWELL


SMOKE: tuple[Spec, ...] = (
    Spec("goods_left", goods_left, 60.0),
    Spec("carried_across", carried_across, 35.0),
    Spec("person_standing", person_standing, 45.0),
    Spec("put_out_twice", put_out_twice, 80.0),
)

FULL: tuple[Spec, ...] = (
    Spec("goods_left", goods_left, 120.0),
    Spec("carried_across", carried_across, 75.0),
    Spec("person_standing", person_standing, 180.0),
    Spec("trolley_parked", trolley_parked, 80.0, dwell=60.0),
    Spec("two_wheeler_parked", two_wheeler_parked, 120.0),
    Spec("put_out_twice", put_out_twice, 150.0),
    Spec("lighting_change", lighting_change, 120.0),
    Spec("night", night, 120.0, night=True),
    Spec("stall_and_rack", stall_and_rack, 120.0),
)

STREETS: tuple[Spec, ...] = (
    Spec("furniture_only", furniture_only, 90.0),
    Spec("furniture_at_dusk", furniture_at_dusk, 90.0),
    Spec("goods_among_furniture", goods_among_furniture, 90.0),
    Spec("goods_out_at_start", goods_out_at_start, 90.0),
    Spec("delivery_left_briefly", delivery_left_briefly, 75.0, dwell=60.0),
    Spec("scooter_parked", two_wheeler_parked, 90.0),
)

#: the review loop's scene: one false alert (if the model mislabels the fitting), one true one
REVIEW: tuple[Spec, ...] = (Spec("fitting_then_goods", fitting_then_goods, 90.0),)

#: set name → (scene domain, scenarios)
SETS: dict[str, tuple[str, tuple[Spec, ...]]] = {
    "smoke": ("train", SMOKE),
    "test": ("train", FULL),
    "heldout": ("heldout", FULL),
    "streets": ("train", STREETS),
    "streets-heldout": ("heldout", STREETS),
    "review": ("heldout", REVIEW),
}

VIOLATION_CLASSES = DEFAULT_VIOLATION_CLASSES


def lighting_for(rng: np.random.Generator, domain: str, spec: Spec) -> str:
    if spec.night:
        return "night_sodium" if domain == "heldout" else "night_led"
    if spec.name == "lighting_change":
        return "day_overcast" if domain == "train" else "dawn_haze"
    day = (
        ("day_sun", "day_overcast", "dawn_haze")
        if domain == "heldout"
        else ("day_sun", "day_overcast")
    )
    return str(rng.choice(day))


def scenario_rng(seed: int, set_name: str, name: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(set_name.encode()), zlib.crc32(name.encode())])


def compose(seed: int, set_name: str, spec: Spec, width: int, height: int) -> Script:
    """Build the stage and run the scenario's script: a pure function of its arguments."""
    domain, _ = SETS[set_name]
    rng = scenario_rng(seed, set_name, spec.name)
    lighting = lighting_for(rng, domain, spec)
    stage = build_stage(rng, domain, lighting, width, height)
    script = Script(stage, rng, spec.duration)
    _static_props(script)
    spec.script(script)
    return script


def _static_props(s: Script) -> None:
    """A few street-furniture distractors beside (never inside) the zones."""
    zs = s.stage.zones
    for _ in range(int(s.rng.integers(1, 4))):
        side = -1 if s.rng.random() < 0.5 else 1
        x = (zs[0].x0 - s.rng.uniform(1.0, 3.0)) if side < 0 else (zs[-1].x1 + s.rng.uniform(1, 3))
        y = float(s.rng.uniform(0.4, s.stage.params.pavement_width - 0.4))
        s.stage.static.append(ob.distractor(s.rng, float(x), y, s.face(x, y)))
