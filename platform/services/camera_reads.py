"""What the zone editor shows: cameras with their zone counts, a camera's newest frame, the last
config push of its node and the shops a zone may be bound to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from streetorder.platform.db import (
    AlertRecord,
    Camera,
    ConfigPushRecord,
    EvidenceFile,
    Merchant,
    Zone,
)


def cameras(session: Session) -> list[Camera]:
    """Every camera (with its node), by node and code."""
    stmt = select(Camera).options(selectinload(Camera.node)).order_by(Camera.node_id, Camera.code)
    return list(session.scalars(stmt))


def zone_counts(session: Session) -> dict[int, int]:
    """Zones per camera id."""
    rows = session.execute(select(Zone.camera_id, func.count()).group_by(Zone.camera_id))
    return {camera_id: int(n) for camera_id, n in rows}


def latest_clean_frame(session: Session, *, camera: Camera) -> EvidenceFile | None:
    """The newest stored clean frame of any alert from this camera."""
    return session.scalars(
        select(EvidenceFile)
        .join(AlertRecord, AlertRecord.alert_id == EvidenceFile.alert_id)
        .where(
            AlertRecord.node_code == camera.node.code,
            AlertRecord.camera_code == camera.code,
            EvidenceFile.kind == "clean_frame",
        )
        .order_by(AlertRecord.threshold_crossed_at.desc(), EvidenceFile.id.desc())
    ).first()


def latest_push(session: Session, *, node_id: int) -> ConfigPushRecord | None:
    return session.scalars(
        select(ConfigPushRecord)
        .filter_by(node_id=node_id)
        .order_by(ConfigPushRecord.revision.desc())
    ).first()


def merchant_choices(session: Session, *, limit: int) -> list[Merchant]:
    """Shops by shop id, at most ``limit``."""
    return list(session.scalars(select(Merchant).order_by(Merchant.shop_id).limit(limit)))


def first_push_since(session: Session, *, node_id: int, since: datetime) -> ConfigPushRecord | None:
    """The node's first config revision issued at or after ``since`` (e.g. the one carrying a
    reference request)."""
    return session.scalars(
        select(ConfigPushRecord)
        .filter_by(node_id=node_id)
        .where(ConfigPushRecord.issued_at >= since)
        .order_by(ConfigPushRecord.revision)
    ).first()
