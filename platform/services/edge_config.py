"""Cameras and zones edited on the platform become a revisioned ``ConfigPush`` for the node."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from streetorder.contracts import (
    CameraConfig,
    CameraLocation,
    ConfigPush,
    IgnoreRegion,
    ModelAssignment,
    SceneReferenceSpec,
    ZoneConfig,
    ZoneRules,
)
from streetorder.platform.db import Camera, ConfigPushRecord, EdgeNode
from streetorder.platform.services import model_versions
from streetorder.platform.services.registry import get_node


class Publisher(Protocol):
    """Publishes to MQTT; True when the broker accepted the message."""

    def publish(self, topic: str, payload: bytes, *, qos: int, retain: bool) -> bool: ...


def build(
    node: EdgeNode, *, revision: int, now: datetime, models: ModelAssignment | None = None
) -> ConfigPush:
    cameras = []
    for camera in node.cameras:
        zones = tuple(
            ZoneConfig(
                id=z.code,
                shop_id=z.merchant.shop_id,
                name=z.name,
                polygon=tuple(tuple(p) for p in z.polygon),
                rules=ZoneRules(**z.rules),
            )  # fmt: skip
            for z in camera.zones
        )
        cameras.append(
            CameraConfig(
                id=camera.code,
                source=camera.source,
                zones=zones,
                enabled=camera.enabled,
                analysis_interval_seconds=camera.analysis_interval_seconds,
                keyframes_only=camera.keyframes_only,
                location=CameraLocation(
                    latitude=camera.latitude, longitude=camera.longitude, address=camera.address
                ),
                reference=reference_of(camera),
                ignore=_ignore_regions(camera),
            )  # fmt: skip
        )
    return ConfigPush(
        node_id=node.code, revision=revision, cameras=tuple(cameras), issued_at=now,
        models=models or ModelAssignment(),
    )  # fmt: skip


def reference_of(camera: Camera) -> SceneReferenceSpec | None:
    """The explicit scene reference asked of the node, or None (learned from the stream)."""
    if camera.reference_image is not None:
        return SceneReferenceSpec(image=camera.reference_image)
    if camera.reference_at is not None:  # always UTC: the node applies a new key once
        return SceneReferenceSpec(at=camera.reference_at.astimezone(UTC))
    return None


def _ignore_regions(camera: Camera) -> tuple[IgnoreRegion, ...]:
    return tuple(
        IgnoreRegion(id=r.code, box=tuple(r.box), reason=r.reason, alert_id=r.alert_id)
        for r in camera.ignore_regions
        if r.removed_at is None
    )


def new_revision(
    session: Session, *, node_code: str, now: datetime
) -> tuple[ConfigPushRecord, ConfigPush]:
    """Record the node's next config revision (published by :func:`publish` after commit)."""
    node = session.scalars(select(EdgeNode).filter_by(code=node_code).with_for_update()).first()
    node = node or get_node(session, code=node_code)
    node.config_revision += 1
    models = model_versions.assignment_for(session, node)
    push = build(node, revision=node.config_revision, now=now, models=models)
    record = ConfigPushRecord(
        node_id=node.id, revision=push.revision, payload=push.model_dump(mode="json"), issued_at=now
    )
    session.add(record)
    session.flush()
    return record, push


def mark_published(session: Session, *, record_id: int) -> None:
    record = session.get(ConfigPushRecord, record_id)
    if record is not None:
        record.published = True


def unpublished(session: Session) -> list[tuple[int, str, ConfigPush]]:
    """Each node's newest revision when it has not gone out yet: (record id, node code, push)."""
    stmt = (
        select(ConfigPushRecord, EdgeNode.code)
        .join(EdgeNode, EdgeNode.id == ConfigPushRecord.node_id)
        .where(ConfigPushRecord.revision == EdgeNode.config_revision)
        .where(ConfigPushRecord.published.is_(False))
        .order_by(ConfigPushRecord.id)
    )
    return [
        (record.id, code, ConfigPush.model_validate(record.payload))
        for record, code in session.execute(stmt)
    ]


def history(session: Session, *, node_code: str, limit: int = 20) -> list[ConfigPushRecord]:
    node = get_node(session, code=node_code)
    stmt = (
        select(ConfigPushRecord)
        .filter_by(node_id=node.id)
        .order_by(ConfigPushRecord.revision.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
