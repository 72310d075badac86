"""Test data for the console, made with the project's own code only.

Registry rows through ``platform.services.registry``; alerts are real ``contracts.Alert`` messages
whose evidence is a synthetic street scene (``models.synth``) written by the edge's evidence
writer (clean/annotated frame, crop, clip, sha256), ingested by ``services.ingest`` and uploaded
through ``services.evidence``; verdicts and later steps through ``services.cases``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from streetorder.contracts import Alert, DetectedObject, ModelInfo
from streetorder.contracts.messages import stable_alert_id
from streetorder.platform.db import Database
from streetorder.platform.domain.roles import Actor, Role
from streetorder.platform.imaging.validate import clean_image
from streetorder.platform.schemas.registry import (
    CameraCreate,
    EdgeNodeCreate,
    MerchantCreate,
    SquadCreate,
    StreetCreate,
    UserCreate,
    ZoneCreate,
)
from streetorder.platform.services import evidence, ingest, registry
from streetorder.platform.services.rules import Rules
from streetorder.platform.storage import EvidenceStore
from streetorder.vocabulary import CLASS_NAMES, DEFAULT_VIOLATION_CLASSES

PASSWORD = "console-pass-1"
STREETS = (("st-lujiazui", "陆家嘴街道"), ("st-huamu", "花木街道"), ("st-xujiahui", "徐家汇街道"))
NODE = "node-01"
CAMERA = "cam-01"
FRAME = (640, 360)
KINDS = ("水果", "鲜花", "杂货", "早餐")


@dataclass(frozen=True)
class Registry:
    shops: tuple[str, ...]  # shop ids, each with one zone z-<shop> on NODE/CAMERA
    users: dict[str, int]  # username -> id


@dataclass(frozen=True)
class EvidenceSet:
    """One synthetic scene and its labels; reused by several alerts (same bytes, new names)."""

    clean: np.ndarray
    annotated: np.ndarray
    objects: tuple[DetectedObject, ...]


def seed_registry(db: Database, *, merchants_per_street: int = 4, rounds: int = 4) -> Registry:
    shops: list[str] = []
    users: dict[str, int] = {}
    with db.session() as s:
        for i, (code, name) in enumerate(STREETS):
            registry.create_street(s, data=StreetCreate(code=code, name=name, district="浦东新区"))
            registry.create_squad(
                s, data=SquadCreate(code=f"sq-{code[3:]}", name=f"{name}中队", street_code=code)
            )
            for j in range(merchants_per_street):
                shop = f"shop-{i}{j:02d}"
                registry.create_merchant(
                    s,
                    data=MerchantCreate(
                        shop_id=shop,
                        name=f"{name[:3]}{KINDS[j % len(KINDS)]}店{j + 1}号",
                        address=f"{name[:3]}路{100 + j}号",
                        responsible_person=f"张{'一二三四五六七八'[j % 8]}",
                        mobile=f"1380013{i}{j:03d}",
                        street_code=code,
                    ),
                )
                shops.append(shop)
        registry.create_node(s, data=EdgeNodeCreate(code=NODE, street_code=STREETS[0][0]))
        registry.create_camera(
            s,
            node_code=NODE,
            data=CameraCreate(code=CAMERA, source="rtsp://10.0.0.5/stream1", address="世纪大道1号"),
        )
        width = 1 / len(shops)
        for k, shop in enumerate(shops):
            x = k * width
            registry.create_zone(
                s,
                node_code=NODE,
                camera_code=CAMERA,
                data=ZoneCreate(
                    code=f"z-{shop}",
                    shop_id=shop,
                    name=f"frontage {shop}",
                    polygon=[(x, 0.6), (x + width * 0.9, 0.6), (x + width * 0.9, 0.98), (x, 0.98)],
                ),
            )
        for username, role, squad in (
            ("reviewer", "reviewer", None),
            ("admin", "admin", None),
            ("leader", "squad_leader", "sq-lujiazui"),
            ("officer", "officer", "sq-lujiazui"),
        ):
            user, _ = registry.create_user(
                s,
                data=UserCreate(
                    username=username,
                    display_name=f"{role} {username}",
                    role=role,
                    password=PASSWORD,
                    squad_code=squad,
                ),
                bcrypt_rounds=rounds,
            )
            users[username] = user.id
    return Registry(tuple(shops), users)


def evidence_sets(count: int, seed: int = 7) -> list[EvidenceSet]:
    """Synthetic street scenes that contain at least one violation-class object."""
    from streetorder.edge.detections import Detections
    from streetorder.edge.evidence.annotate import draw_detections
    from streetorder.models.synth.dataset import generate_image

    out: list[EvidenceSet] = []
    index = 0
    while len(out) < count:
        sample = generate_image(seed, "train", index, *FRAME)
        index += 1
        labels = [
            lab for lab in sample.labels if CLASS_NAMES[lab.class_id] in DEFAULT_VIOLATION_CLASSES
        ]
        if not labels:
            continue
        objects = tuple(
            DetectedObject(
                class_name=CLASS_NAMES[lab.class_id],
                score=0.9 - 0.05 * (n % 5),
                box_xyxy=tuple(float(v) for v in lab.box),
                track_id=n + 1,
            )
            for n, lab in enumerate(labels)
        )
        dets = Detections(
            np.array([o.box_xyxy for o in objects], np.float32),
            np.array([o.score for o in objects], np.float32),
            np.array([CLASS_NAMES.index(o.class_name) for o in objects], np.int64),
            np.array([o.track_id for o in objects], np.int64),
        )
        annotated = draw_detections(sample.image.copy(), dets, CLASS_NAMES)
        out.append(EvidenceSet(sample.image, annotated, objects))
    return out


def make_alert(
    ev: EvidenceSet,
    *,
    shop: str,
    crossed_at: datetime,
    directory: Path,
    n: int,
    clip: bool = True,
) -> tuple[Alert, dict[str, bytes]]:
    """An alert of ``shop``'s zone with the edge's evidence files (returned as bytes by name)."""
    from streetorder.edge.evidence.writer import crop_box, write_evidence

    started = crossed_at - timedelta(seconds=300)
    alert_id = stable_alert_id(NODE, CAMERA, f"z-{shop}", started, n)
    boxes = np.array([o.box_xyxy for o in ev.objects], np.float32)
    frames = [(t * 0.5, ev.clean) for t in range(4)] if clip else []
    refs = write_evidence(
        directory / alert_id,
        alert_id,
        ev.clean,
        ev.annotated,
        crop_box(boxes, FRAME),
        frames,
        2.0,
    )
    alert = Alert(
        alert_id=alert_id,
        node_id=NODE,
        camera_id=CAMERA,
        zone_id=f"z-{shop}",
        shop_id=shop,
        episode_started_at=started,
        threshold_crossed_at=crossed_at,
        dwell_seconds=300.0,
        objects=ev.objects,
        frame_size=FRAME,
        evidence=refs,
        model=ModelInfo(name="streetorder-det", version="test"),
        created_at=crossed_at,
    )
    files = {r.filename: (directory / alert_id / r.filename).read_bytes() for r in refs}
    return alert, files


def ingest_with_evidence(
    db: Database,
    store: EvidenceStore,
    rules: Rules,
    alert: Alert,
    files: dict[str, bytes],
    *,
    now: datetime,
) -> int:
    """Ingest the alert and upload its files as the edge would; returns the case id."""
    node_actor = Actor(role=Role.EDGE_NODE, name=NODE, node_code=NODE)
    with db.session() as s:
        ingest.ingest_alerts(s, alerts=[alert], rules=rules, now=now)
    with db.session() as s:
        for ref in alert.evidence:
            data = files[ref.filename]
            evidence.upload_alert_evidence(
                s,
                store=store,
                actor=node_actor,
                alert_id=alert.alert_id,
                filename=ref.filename,
                data=data,
                declared_sha256=hashlib.sha256(data).hexdigest(),
                content_type=ref.content_type,
                max_bytes=50 * 1024 * 1024,
                now=now,
            )
    with db.session() as s:
        from sqlalchemy import select

        from streetorder.platform.db import Case

        return int(s.scalar(select(Case.id).filter_by(alert_id=alert.alert_id)))


def reviewer_actor(reg: Registry, name: str = "reviewer") -> Actor:
    return Actor(role=Role.REVIEWER, name=name, user_id=reg.users.get(name))


JPEG_PHOTO = None  # set lazily: one small after-correction photo (JPEG bytes)


def _photo() -> bytes:
    global JPEG_PHOTO
    if JPEG_PHOTO is None:
        import cv2

        from streetorder.models.synth.dataset import generate_image

        ok, buf = cv2.imencode(".jpg", generate_image(99, "train", 0, 320, 180).image)
        assert ok
        JPEG_PHOTO = buf.tobytes()
    return JPEG_PHOTO


@dataclass(frozen=True)
class MonthReport:
    start: datetime  # first discovery
    end: datetime  # the clock after the month
    case_ids: tuple[int, ...]


def generate_month(
    db: Database,
    store: EvidenceStore,
    rules: Rules,
    reg: Registry,
    *,
    end: datetime,
    days: int = 30,
    per_day: tuple[int, int] = (2, 6),
    seed: int = 11,
    evidence_dir: Path,
) -> MonthReport:
    """A month of cases driven through the platform's services with their own timestamps.

    Each case is ingested from an alert at its discovery time, then (by a seeded draw) left
    pending, rejected, or confirmed and taken some way along: dispatched (some overdue, some
    urged), rectified, verified, closed, or onto the penalty path for repeat offences.
    """
    from streetorder.platform.services import cases

    rng = np.random.default_rng(seed)
    sets = evidence_sets(4)
    reviewer = Actor(role=Role.REVIEWER, name="reviewer", user_id=reg.users["reviewer"])
    admin = Actor(role=Role.ADMIN, name="admin", user_id=reg.users["admin"])
    start = end - timedelta(days=days)
    plans: list[tuple[datetime, str]] = []
    for day in range(days):
        for _ in range(int(rng.integers(per_day[0], per_day[1] + 1))):
            at = start + timedelta(days=day, minutes=float(rng.uniform(8 * 60, 20 * 60)))
            plans.append((at, reg.shops[int(rng.integers(0, len(reg.shops)))]))
    plans.sort()
    ids = []
    for n, (at, shop) in enumerate(plans):
        alert, files = make_alert(
            sets[n % len(sets)], shop=shop, crossed_at=at, directory=evidence_dir, n=n, clip=False
        )
        case_id = ingest_with_evidence(db, store, rules, alert, files, now=at)
        ids.append(case_id)
        fate = rng.random()
        step = at + timedelta(minutes=float(rng.uniform(5, 90)))
        if step >= end or fate < 0.12:
            continue  # still pending review
        with db.session() as s:
            if fate < 0.27:
                cases.reject(s, case_id=case_id, actor=reviewer, rules=rules, now=step,
                             reason="Goods in transit (delivery being unloaded)")  # fmt: skip
                continue
            cases.confirm(s, case_id=case_id, actor=reviewer, rules=rules, now=step)
        step += timedelta(hours=float(rng.uniform(2, 30)))
        if rng.random() < 0.3 and step < end:
            with db.session() as s:
                cases.urge(s, case_id=case_id, actor=reviewer, rules=rules, now=step, note="催办")
        if rng.random() < 0.25 or step >= end:
            continue  # left dispatched (overdue ones light yellow)
        with db.session() as s:
            case = cases.get_case(s, case_id=case_id)
            photo = evidence.attach_case_photo(
                s, store=store, case=case, actor=admin, filename="after.jpg",
                photo=clean_image(_photo(), evidence.PHOTO_POLICY), now=step,
            )  # fmt: skip
            cases.rectify(s, case_id=case_id, actor=admin, rules=rules, now=step,
                          photo_ids=[photo.id])  # fmt: skip
        step += timedelta(hours=float(rng.uniform(1, 20)))
        if rng.random() < 0.15 or step >= end:
            continue  # rectified, waiting for verification
        with db.session() as s:
            case = cases.verify(s, case_id=case_id, actor=reviewer, rules=rules, now=step)
            if case.track == "penalty":
                if rng.random() < 0.5:
                    cases.decide_fine(s, case_id=case_id, actor=admin, rules=rules, now=step)
                continue
            step += timedelta(minutes=float(rng.uniform(5, 120)))
            if step < end:
                cases.close(s, case_id=case_id, actor=reviewer, rules=rules, now=step)
    return MonthReport(plans[0][0], end, tuple(ids))
