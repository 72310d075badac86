"""Model versions: upload (checked, stored once), list, assign to a node or one camera (the
assignment travels in the node's next config revision), rollback, and the rollout state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from streetorder.contracts import ModelAssignment, ModelRef
from streetorder.i18n import Reason
from streetorder.platform.db import (
    Camera,
    ConfigPushRecord,
    EdgeNode,
    ModelAssignmentRecord,
    ModelVersion,
)
from streetorder.platform.domain.errors import Conflict, Forbidden, NotFound, PayloadTooLarge
from streetorder.platform.domain.roles import Actor, Role
from streetorder.platform.services.model_files import check_bundle
from streetorder.platform.services.registry import get_camera, get_node
from streetorder.platform.storage import EvidenceStore

MAX_MODEL_BYTES = 100 * 1024 * 1024
API_PATH = "/api/v1/models"


def storage_key(sha256: str) -> str:
    return f"models/{sha256}.onnx"


def download_path(version: ModelVersion) -> str:
    return f"{API_PATH}/{version.id}/file"


def ref_of(version: ModelVersion) -> ModelRef:
    return ModelRef(
        name=version.name, version=version.version, sha256=version.sha256,
        size_bytes=version.size_bytes, url=download_path(version),
    )  # fmt: skip


def upload(
    session: Session, store: EvidenceStore, *, model: bytes, manifest: bytes,
    evaluation: bytes | None, actor: Actor, now: datetime,
) -> tuple[ModelVersion, bool]:  # fmt: skip
    """Check and keep a bundle; (version, created). The same bundle again is no new version;
    another file under a known name and version is a conflict."""
    if len(model) > MAX_MODEL_BYTES:
        raise PayloadTooLarge(
            Reason("model_upload.too_large", size=len(model), most=MAX_MODEL_BYTES)
        )
    bundle = check_bundle(model, manifest, evaluation)
    known = session.scalars(
        select(ModelVersion).filter_by(name=bundle.name, version=bundle.version)
    ).first()
    if known is not None:
        if known.sha256 != bundle.sha256:
            raise Conflict(Reason("model_upload.exists", name=bundle.name, version=bundle.version))
        return known, False
    key = storage_key(bundle.sha256)
    store.put(key, model)  # content-addressed: the same bytes again are a no-op
    version = ModelVersion(
        name=bundle.name, version=bundle.version, sha256=bundle.sha256,
        size_bytes=bundle.size_bytes, classes=bundle.classes, imgsz=bundle.imgsz,
        manifest=bundle.manifest, metrics=bundle.metrics, storage_key=key,
        uploaded_by=actor.name, uploaded_at=now,
    )  # fmt: skip
    session.add(version)
    session.flush()
    return version, True


def list_versions(session: Session) -> list[ModelVersion]:
    return list(session.scalars(select(ModelVersion).order_by(ModelVersion.id.desc())))


def get_version(session: Session, version_id: int) -> ModelVersion:
    version = session.get(ModelVersion, version_id)
    if version is None:
        raise NotFound(Reason("model_upload.version_not_found", version=version_id))
    return version


def _current(session: Session, node: EdgeNode) -> list[ModelAssignmentRecord]:
    stmt = (
        select(ModelAssignmentRecord)
        .filter_by(node_id=node.id, replaced_at=None)
        .order_by(ModelAssignmentRecord.id)
    )
    return list(session.scalars(stmt))


def assignment_for(session: Session, node: EdgeNode) -> ModelAssignment:
    """What the node's config push carries: its version and each canary camera's."""
    codes = {c.id: c.code for c in node.cameras}
    node_ref, cameras = None, {}
    for row in _current(session, node):
        ref = ref_of(row.model_version) if row.model_version is not None else None
        if row.camera_id is None:
            node_ref = ref
        elif ref is not None and row.camera_id in codes:
            cameras[codes[row.camera_id]] = ref
    return ModelAssignment(node=node_ref, cameras=cameras)


def _target(
    session: Session, node_code: str, camera_code: str | None
) -> tuple[EdgeNode, Camera | None]:
    node = get_node(session, code=node_code)
    camera = None
    if camera_code is not None:
        camera = get_camera(session, node_code=node_code, camera_code=camera_code)
    return node, camera


def _history(
    session: Session, node: EdgeNode, camera: Camera | None
) -> list[ModelAssignmentRecord]:
    stmt = (
        select(ModelAssignmentRecord)
        .filter_by(node_id=node.id, camera_id=camera.id if camera else None)
        .order_by(ModelAssignmentRecord.id.desc())
    )
    return list(session.scalars(stmt))


def assign(
    session: Session, *, node_code: str, camera_code: str | None, version_id: int | None,
    actor: Actor, now: datetime,
) -> ModelAssignmentRecord:  # fmt: skip
    """Assign a version to a node (``camera_code`` None) or one camera; ``version_id`` None
    clears it (the camera follows its node again, the node runs its own model). The caller
    pushes the node's next config revision."""
    node, camera = _target(session, node_code, camera_code)
    version = get_version(session, version_id) if version_id is not None else None
    for row in _history(session, node, camera):
        if row.replaced_at is None:
            row.replaced_at = now
    record = ModelAssignmentRecord(
        node_id=node.id, camera_id=camera.id if camera else None,
        model_version_id=version.id if version else None, assigned_by=actor.name,
        assigned_at=now,
    )  # fmt: skip
    session.add(record)
    session.flush()
    return record


def previous_version_id(session: Session, *, node_code: str, camera_code: str | None) -> int | None:
    """What a rollback assigns: the newest earlier version that the node applied and that is not
    the current one; None (the node's own model, or for a camera its node's) when there is none.

    Raises:
        NotFound: nothing is assigned, there is nothing to roll back.
    """
    node, camera = _target(session, node_code, camera_code)
    rows = _history(session, node, camera)
    if not rows or rows[0].model_version_id is None:
        target = f"camera {camera_code}" if camera_code else f"node {node_code}"
        raise NotFound(Reason("model_upload.nothing_to_roll_back", target=target))
    applied = set(
        session.scalars(
            select(ConfigPushRecord.revision).filter_by(node_id=node.id, ack_accepted=True)
        )
    )
    for row in rows[1:]:
        if row.model_version_id != rows[0].model_version_id and row.config_revision in applied:
            return row.model_version_id
    return None


def check_download(session: Session, *, actor: Actor, version: ModelVersion) -> None:
    """Admins fetch any version; a node only one assigned to it or to one of its cameras."""
    if actor.role == Role.ADMIN:
        return
    if actor.role != Role.EDGE_NODE or actor.node_code is None:
        raise Forbidden(Reason("model_upload.download_roles"))
    node = get_node(session, code=actor.node_code)
    if version.id not in {r.model_version_id for r in _current(session, node)}:
        raise Forbidden(Reason("model_upload.not_assigned", version=version.id, node=node.code))


@dataclass(frozen=True)
class CameraRollout:
    camera: str
    assigned: str  # name version, or "" for the node's own model
    assigned_id: int | None  # the camera's own assignment (a canary), None: follows its node
    canary: bool
    running: str  # what the last heartbeat says, "" when unknown


@dataclass(frozen=True)
class NodeRollout:
    node: str
    availability: str
    assigned: str
    assigned_id: int | None
    running: str
    revision: int
    ack: str  # applied / refused / waiting / unpublished / none
    ack_reason: str
    cameras: list[CameraRollout]


def _label(ref: ModelRef | dict[str, Any] | None) -> str:
    if ref is None:
        return ""
    if isinstance(ref, dict):
        return f"{ref.get('name', '')} {ref.get('version', '')}".strip()
    return f"{ref.name} {ref.version}"


def _ack(record: ConfigPushRecord | None) -> tuple[str, str]:
    if record is None:
        return "none", ""
    if record.ack_accepted is True:
        return "applied", ""
    if record.ack_accepted is False:
        return "refused", record.ack_reason or ""
    return ("waiting" if record.published else "unpublished"), ""


def rollout(session: Session) -> list[NodeRollout]:
    """Per node and camera: the version assigned, the one running (last heartbeat) and the
    node's answer to its newest config revision."""
    nodes = session.scalars(select(EdgeNode).order_by(EdgeNode.code)).all()
    out = []
    for node in nodes:
        plan = assignment_for(session, node)
        latest = session.scalars(
            select(ConfigPushRecord)
            .filter_by(node_id=node.id)
            .order_by(ConfigPushRecord.revision.desc())
            .limit(1)
        ).first()
        beat = node.last_heartbeat or {}
        running = {c.get("camera_id"): c.get("model") for c in beat.get("cameras", [])}
        ack, reason = _ack(latest)
        ids = {r.camera_id: r.model_version_id for r in _current(session, node)}
        cameras = [
            CameraRollout(
                camera=c.code,
                assigned=_label(plan.for_camera(c.code)),
                assigned_id=ids.get(c.id) if c.code in plan.cameras else None,
                canary=c.code in plan.cameras,
                running=_label(running.get(c.code)),
            )  # fmt: skip
            for c in node.cameras
        ]
        out.append(
            NodeRollout(
                node=node.code,
                availability=node.availability,
                assigned=_label(plan.node),
                assigned_id=ids.get(None),
                running=_label(beat.get("model")),
                revision=node.config_revision,
                ack=ack,
                ack_reason=reason,
                cameras=cameras,
            )  # fmt: skip
        )
    return out
