"""A street camera whose zones follow the shop frontages it sees, with alerts of goods standing
in the first shop's frontage: made by the scenario generator (``models.synth``: the scene, its
frontage zones and the goods' true boxes), the edge's evidence writer and the platform's ingest.

The console's review panel, case page and zone editor are judged (and photographed for the
README) on this camera, so the zone outline drawn over a frame matches the frontage in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import numpy as np
from sqlalchemy import select

from streetorder.contracts import Alert, DetectedObject, ModelInfo
from streetorder.contracts.messages import stable_alert_id
from streetorder.i18n import text
from streetorder.platform.db import Database, Merchant
from streetorder.platform.schemas.registry import CameraCreate, ZoneCreate
from streetorder.platform.services import registry
from streetorder.platform.services.rules import Rules
from streetorder.platform.storage import EvidenceStore
from streetorder.vocabulary import CLASS_NAMES, DEFAULT_VIOLATION_CLASSES
from tests.web.seeding import NODE, ingest_with_evidence

CAMERA = "cam-frontage"
SIZE = (960, 540)
CLIP_FPS = 2.0


@dataclass(frozen=True)
class FrontageScene:
    zones: tuple[tuple[str, list[list[float]]], ...]  # (zone code, relative polygon) per shop
    goods: np.ndarray  # a frame with goods standing in the first zone
    objects: tuple[DetectedObject, ...]  # their boxes (the scene's truth, as a detector sees it)
    annotated: np.ndarray
    clip: tuple[tuple[float, np.ndarray], ...]  # the frames before and at that moment
    clear: np.ndarray  # the same camera with the frontage clear (the after-correction photo)


def inside(point: tuple[float, float], polygon: list[list[float]]) -> bool:
    x, y = point
    hit = False
    for (x1, y1), (x2, y2) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            hit = not hit
    return hit


def overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def foot(box: tuple[float, ...], size: tuple[int, int]) -> tuple[float, float]:
    """Where an object stands: the bottom centre of its box, relative to the frame."""
    return ((box[0] + box[2]) / 2 / size[0], box[3] / size[1])


@cache
def frontage_scene(seed: int = 3) -> FrontageScene:
    from streetorder.edge.detections import Detections
    from streetorder.edge.evidence.annotate import draw_detections
    from streetorder.models.synth.scenarios import SMOKE, compose
    from streetorder.models.synth.video import frames, reference_frame

    spec = next(s for s in SMOKE if s.name == "goods_left")
    script = compose(seed, "smoke", spec, *SIZE)
    stage = script.stage
    zones = tuple((f"z{i + 1}", stage.relative_polygon(z)) for i, z in enumerate(stage.zones))
    recent: list[tuple[float, np.ndarray]] = []
    for t, frame, truth in frames(script, fps=2):
        recent = [*recent[-5:], (t, frame)]
        goods = [
            o
            for o in truth
            if o["class_name"] in DEFAULT_VIOLATION_CLASSES
            and inside(foot(o["box_xyxy"], SIZE), zones[0][1])
        ]
        people = [o["box_xyxy"] for o in truth if o["class_name"] not in DEFAULT_VIOLATION_CLASSES]
        hidden = any(overlaps(g["box_xyxy"], p) for g in goods for p in people)
        if goods and t >= 20 and not hidden:  # placed, and nobody stands in front of them
            break
    else:  # pragma: no cover - the scenario always leaves goods in the first zone
        raise RuntimeError("no frame with goods in the first frontage")
    objects = tuple(
        DetectedObject(
            class_name=o["class_name"], score=0.91, box_xyxy=tuple(o["box_xyxy"]), track_id=n + 1
        )
        for n, o in enumerate(goods)
    )
    dets = Detections(
        np.array([o.box_xyxy for o in objects], np.float32),
        np.array([o.score for o in objects], np.float32),
        np.array([CLASS_NAMES.index(o.class_name) for o in objects], np.int64),
        np.array([o.track_id for o in objects], np.int64),
    )
    annotated = draw_detections(frame.copy(), dets, CLASS_NAMES)
    t0 = recent[0][0]
    clip = tuple((t - t0, f) for t, f in recent)
    return FrontageScene(zones, frame, objects, annotated, clip, reference_frame(script))


def register_frontage_camera(db: Database, shops: tuple[str, ...]) -> None:
    """A second camera on the test node whose zones follow the scene's shop frontages, each
    named as the zone editor names a new zone ("<shop>门前")."""
    scene = frontage_scene()
    with db.session() as s:
        names = dict(s.execute(select(Merchant.shop_id, Merchant.name)).all())
        registry.create_camera(
            s, node_code=NODE,
            data=CameraCreate(code=CAMERA, source="rtsp://10.0.0.6/stream1", address="东方路188号"),
        )  # fmt: skip
        for (code, polygon), shop in zip(scene.zones, shops, strict=False):
            registry.create_zone(
                s, node_code=NODE, camera_code=CAMERA,
                data=ZoneCreate(
                    code=code, shop_id=shop, polygon=polygon,
                    name=text("editor.new_zone_name", shop=names[shop]),
                ),
            )  # fmt: skip


def frontage_alert(
    db: Database, store: EvidenceStore, rules: Rules, *, shop: str, crossed_at: datetime,
    directory: Path, n: int, now: datetime, dwell: float = 300.0,
) -> int:  # fmt: skip
    """An alert of goods in the first frontage of the camera, with the edge's evidence files;
    ingested and uploaded as the edge does. Returns the case id."""
    from streetorder.edge.evidence.writer import crop_box, write_evidence

    scene = frontage_scene()
    started = crossed_at - timedelta(seconds=dwell)
    zone = scene.zones[0][0]
    alert_id = stable_alert_id(NODE, CAMERA, zone, started, n)
    boxes = np.array([o.box_xyxy for o in scene.objects], np.float32)
    refs = write_evidence(
        directory / alert_id, alert_id, scene.goods, scene.annotated, crop_box(boxes, SIZE),
        list(scene.clip), CLIP_FPS,
    )  # fmt: skip
    alert = Alert(
        alert_id=alert_id, node_id=NODE, camera_id=CAMERA, zone_id=zone, shop_id=shop,
        episode_started_at=started, threshold_crossed_at=crossed_at, dwell_seconds=dwell,
        objects=scene.objects, frame_size=SIZE, evidence=refs,
        model=ModelInfo(name="streetorder-det", version="test"), created_at=crossed_at,
    )  # fmt: skip
    files = {r.filename: (directory / alert_id / r.filename).read_bytes() for r in refs}
    return ingest_with_evidence(db, store, rules, alert, files, now=now)
