"""Evidence files: uploads from edge nodes checked against the alert, and case photos."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from streetorder.contracts.messages import AFTER_FRAME_SUFFIX
from streetorder.platform.db import AlertRecord, Case, EvidenceFile
from streetorder.platform.domain.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    NotYet,
    PayloadTooLarge,
)
from streetorder.platform.domain.roles import Actor, Role
from streetorder.platform.imaging.validate import CleanImage, ImagePolicy, open_checked
from streetorder.platform.storage import EvidenceStore, KeyExistsError, StagedUpload

#: What a case photo may be (POST /cases/{id}/photos); stored re-encoded, without metadata.
PHOTO_POLICY = ImagePolicy(formats=frozenset({"JPEG", "PNG"}), max_bytes=10 * 1024 * 1024)
PHOTO_MAX_BYTES = PHOTO_POLICY.max_bytes
#: Frames the edge made: checked as images, stored byte for byte (their sha256 is the record).
EVIDENCE_IMAGE_POLICY = ImagePolicy(
    formats=frozenset({"JPEG", "PNG"}), max_bytes=20 * 1024 * 1024, max_pixels=40_000_000,
    allow_trailer=False, what="evidence_image",
)  # fmt: skip


@dataclass(frozen=True)
class EvidencePlan:
    """What the headers of an evidence upload decided, before its body is read."""

    ref: dict[str, Any]  # the alert's EvidenceRef for this file
    existing: EvidenceFile | None  # already stored (a retry)

    def already_stored(self, declared_sha256: str | None) -> bool:
        """The same file again, announced by its hash: answered without reading the body."""
        return self.existing is not None and _same_hash(declared_sha256, self.existing.sha256)


def plan_alert_evidence(
    session: Session, *, actor: Actor, alert_id: str, filename: str
) -> EvidencePlan:
    """Check an evidence upload from its headers alone (the caller has authenticated).

    Raises NotYet (alert, or the episode end that brings an after-frame, not yet received: 409
    with Retry-After, the edge retries), Forbidden (another node's alert), BadRequest (the
    file is not in the alert).
    """
    alert = session.scalars(select(AlertRecord).filter_by(alert_id=alert_id)).first()
    if alert is None:
        raise NotYet("alert not yet received")
    if actor.role == Role.EDGE_NODE and actor.node_code != alert.node_code:
        raise Forbidden("this alert belongs to another edge node")
    ref = next((e for e in alert.evidence if e["filename"] == filename), None)
    early = alert.episode_ended_at is None and filename.endswith(AFTER_FRAME_SUFFIX)
    if ref is None and early:  # an after-frame that came before its episode end
        raise NotYet(f"{filename!r} is not in the alert's evidence list (yet)")
    if ref is None:
        raise BadRequest(f"{filename!r} is not in the alert's evidence list")
    existing = session.scalars(
        select(EvidenceFile).filter_by(alert_id=alert_id, filename=filename)
    ).first()
    return EvidencePlan(ref=ref, existing=existing)


def record_alert_evidence(
    session: Session, *, store: EvidenceStore, actor: Actor, alert_id: str, filename: str,
    staged: StagedUpload, declared_sha256: str | None, content_type: str, now: datetime,
) -> tuple[EvidenceFile, bool]:  # fmt: skip
    """Store a received (staged, hashed) evidence file. Returns the record and whether it was new.

    Raises BadRequest (body ≠ header hash), InvalidInput (hash differs from the alert's
    EvidenceRef, or an image that does not validate: 422), Conflict (the storage key already
    holds other bytes: stored evidence is write-once; 409, final), and what
    :func:`plan_alert_evidence` raises.
    """
    plan = plan_alert_evidence(session, actor=actor, alert_id=alert_id, filename=filename)
    actual = staged.sha256
    if not _same_hash(declared_sha256, actual):
        raise BadRequest("body does not match X-Content-Sha256")
    if plan.ref["sha256"] != actual:
        raise InvalidInput(f"{filename}: sha256 differs from the alert's evidence record")
    if plan.existing is not None:
        return plan.existing, False
    kind_type = plan.ref.get("content_type") or content_type
    if kind_type.startswith("image/"):
        open_checked(staged.read(), EVIDENCE_IMAGE_POLICY)  # the original is kept as it is
    key = f"alerts/{now:%Y/%m/%d}/{alert_id}/{filename}"
    try:
        store.put_staged(key, staged)
    except KeyExistsError:
        raise Conflict(f"evidence {key} is already stored with other content") from None
    record = EvidenceFile(
        alert_id=alert_id, case_id=session.scalars(
            select(AlertRecord.case_id).filter_by(alert_id=alert_id)
        ).first(), kind=plan.ref["kind"], filename=filename, content_type=kind_type,
        size_bytes=staged.size, sha256=actual, storage_key=key, uploaded_by=actor.user_id,
        uploaded_at=now,
    )  # fmt: skip
    session.add(record)
    session.flush()
    return record, True


def upload_alert_evidence(
    session: Session, *, store: EvidenceStore, actor: Actor, alert_id: str, filename: str,
    data: bytes, declared_sha256: str | None, content_type: str, max_bytes: int, now: datetime,
) -> tuple[EvidenceFile, bool]:  # fmt: skip
    """An evidence file already in memory (the seeders, the demo): the same checks as the
    streamed upload of ``PUT /alerts/{id}/evidence/{name}``."""
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"file is larger than {max_bytes // (1024 * 1024)} MB")
    staged = store.stage()
    try:
        staged.write(data)
        return record_alert_evidence(
            session, store=store, actor=actor, alert_id=alert_id, filename=filename,
            staged=staged, declared_sha256=declared_sha256, content_type=content_type, now=now,
        )  # fmt: skip
    finally:
        staged.discard()


def _same_hash(declared: str | None, actual: str) -> bool:
    return bool(declared) and declared.strip().lower() == actual


def attach_case_photo(
    session: Session, *, store: EvidenceStore, case: Case, actor: Actor, filename: str,
    photo: CleanImage, now: datetime, kind: str = "rectification",
) -> EvidenceFile:  # fmt: skip
    """A photo for a case (e.g. after correction), as the image validator re-encoded it."""
    ext = f".{photo.extension}"
    key = f"cases/{case.id}/{photo.sha256}{ext}"
    _put_once(store, key, photo.data)
    safe_name = "".join(c for c in filename if c.isalnum() or c in "._-")[:100] or f"photo{ext}"
    record = EvidenceFile(
        case_id=case.id, kind=kind, filename=safe_name, content_type=photo.content_type,
        size_bytes=len(photo.data), sha256=photo.sha256, storage_key=key,
        uploaded_by=actor.user_id, uploaded_at=now,
    )  # fmt: skip
    session.add(record)
    session.flush()
    return record


def _put_once(store: EvidenceStore, key: str, data: bytes) -> None:
    """Store ``data`` at ``key``; the same bytes again are a no-op, other bytes a Conflict."""
    try:
        store.put(key, data)
    except KeyExistsError:
        raise Conflict(f"evidence {key} is already stored with other content") from None


def case_files(session: Session, *, case: Case) -> list[EvidenceFile]:
    """The alert evidence (of every alert of the case) and the case's own photos."""
    alert_ids = select(AlertRecord.alert_id).filter_by(case_id=case.id)
    stmt = (
        select(EvidenceFile)
        .where((EvidenceFile.case_id == case.id) | EvidenceFile.alert_id.in_(alert_ids))
        .order_by(EvidenceFile.id)
    )
    return list(session.scalars(stmt))


def get_file(session: Session, *, file_id: int) -> EvidenceFile:
    record = session.get(EvidenceFile, file_id)
    if record is None:
        raise NotFound(f"evidence file {file_id} not found")
    return record
