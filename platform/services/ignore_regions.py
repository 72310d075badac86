"""A camera's ignore regions: added when a reviewer rejects an alert as a fixed structure,
removed by an administrator; every change records who and when and becomes a config revision."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from streetorder.i18n import Reason
from streetorder.platform.db import AlertRecord, Camera, Case, EdgeNode, IgnoreRegionRecord
from streetorder.platform.domain.errors import Conflict, NotFound
from streetorder.platform.domain.ignore_regions import FIXED_STRUCTURE, area, is_covered, region_box
from streetorder.platform.domain.roles import Actor
from streetorder.platform.services import edge_config


def active(camera: Camera) -> list[IgnoreRegionRecord]:
    """The regions the camera's node drops detections in, oldest first."""
    return [r for r in camera.ignore_regions if r.removed_at is None]


def of_case(session: Session, *, case_id: int) -> list[IgnoreRegionRecord]:
    """The regions a case's rejection added."""
    stmt = select(IgnoreRegionRecord).filter_by(case_id=case_id).order_by(IgnoreRegionRecord.id)
    return list(session.scalars(stmt))


def _camera_of(session: Session, alert: AlertRecord) -> Camera | None:
    return session.scalars(
        select(Camera)
        .join(EdgeNode, EdgeNode.id == Camera.node_id)
        .where(EdgeNode.code == alert.node_code, Camera.code == alert.camera_code)
        .with_for_update(of=Camera)
    ).first()


def add_from_case(
    session: Session, *, case: Case, actor: Actor, now: datetime
) -> list[IgnoreRegionRecord]:
    """The case's alerts' object boxes (grown a little) become ignore regions of their camera,
    unless a region already covers them; each changed node gets a new config revision."""
    alerts = session.scalars(
        select(AlertRecord).where(AlertRecord.case_id == case.id).order_by(AlertRecord.id)
    )
    added: list[IgnoreRegionRecord] = []
    nodes: list[str] = []
    for alert in alerts:
        camera = _camera_of(session, alert)
        if camera is None:  # the camera was removed from the registry since
            continue
        for obj in alert.objects:
            box = region_box(obj["box_xyxy"], alert.frame_size)
            if area(box) <= 0 or is_covered(box, [tuple(r.box) for r in active(camera)]):
                continue
            region = IgnoreRegionRecord(
                code=f"mask-{len(camera.ignore_regions) + 1}", box=list(box),
                reason=FIXED_STRUCTURE, alert_id=alert.alert_id, case_id=case.id,
                created_by=actor.name, created_at=now,
            )  # fmt: skip
            camera.ignore_regions.append(region)
            added.append(region)
            if alert.node_code not in nodes:
                nodes.append(alert.node_code)
    session.flush()
    for node_code in nodes:
        edge_config.new_revision(session, node_code=node_code, now=now)
    return added


def remove(
    session: Session, *, camera: Camera, code: str, actor: Actor, now: datetime
) -> IgnoreRegionRecord:
    """Stop ignoring a region (the row stays with who removed it and when); pushes the config."""
    region = next((r for r in camera.ignore_regions if r.code == code), None)
    if region is None:
        raise NotFound(
            Reason("zones.no_mask", camera=f"{camera.node.code}/{camera.code}", code=code)
        )
    if region.removed_at is not None:
        raise Conflict(Reason("zones.mask_removed", code=code, who=region.removed_by))
    region.removed_by, region.removed_at = actor.name, now
    session.flush()
    edge_config.new_revision(session, node_code=camera.node.code, now=now)
    return region
