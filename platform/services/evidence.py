"""Evidence files: uploads from edge nodes checked against the alert, and case photos."""

from __future__ import annotations

import hashlib
from datetime import datetime

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
from streetorder.platform.storage import EvidenceStore, KeyExistsError

IMAGE_MAGIC = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}
PHOTO_MAX_BYTES = 10 * 1024 * 1024


def upload_alert_evidence(
    session: Session, *, store: EvidenceStore, actor: Actor, alert_id: str, filename: str,
    data: bytes, declared_sha256: str | None, content_type: str, max_bytes: int, now: datetime,
) -> tuple[EvidenceFile, bool]:  # fmt: skip
    """Store one evidence file of an alert. Returns the record and whether it was new.

    Raises BadRequest (body ≠ header hash, or file not in the alert), InvalidInput (hash differs
    from the alert's EvidenceRef: 422), NotYet (alert, or the episode end that brings an
    after-frame, not yet received: 409 with Retry-After, the edge retries), Conflict (the
    storage key already holds other bytes: stored evidence is write-once; 409, final), Forbidden
    (another node's alert), PayloadTooLarge.
    """
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"file is larger than {max_bytes // (1024 * 1024)} MB")
    actual = hashlib.sha256(data).hexdigest()
    if not declared_sha256 or declared_sha256.lower() != actual:
        raise BadRequest("body does not match X-Content-Sha256")
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
    if ref["sha256"] != actual:
        raise InvalidInput(f"{filename}: sha256 differs from the alert's evidence record")
    existing = session.scalars(
        select(EvidenceFile).filter_by(alert_id=alert_id, filename=filename)
    ).first()
    if existing is not None:
        return existing, False
    key = f"alerts/{now:%Y/%m/%d}/{alert_id}/{filename}"
    _put_once(store, key, data)
    record = EvidenceFile(
        alert_id=alert_id, case_id=alert.case_id, kind=ref["kind"], filename=filename,
        content_type=ref.get("content_type") or content_type, size_bytes=len(data),
        sha256=actual, storage_key=key, uploaded_by=actor.user_id, uploaded_at=now,
    )  # fmt: skip
    session.add(record)
    session.flush()
    return record, True


def attach_case_photo(
    session: Session, *, store: EvidenceStore, case: Case, actor: Actor, filename: str,
    data: bytes, content_type: str, now: datetime, kind: str = "rectification",
) -> EvidenceFile:  # fmt: skip
    """A JPEG/PNG photo for a case (e.g. after correction); checked to be what it claims."""
    if len(data) > PHOTO_MAX_BYTES:
        raise PayloadTooLarge("a photo may have at most 10 MB")
    magic = IMAGE_MAGIC.get(content_type)
    if magic is None:
        raise InvalidInput(f"photos must be image/jpeg or image/png, not {content_type!r}")
    if not data.startswith(magic):
        raise InvalidInput(f"the file is not a {content_type} image")
    digest = hashlib.sha256(data).hexdigest()
    ext = ".jpg" if content_type == "image/jpeg" else ".png"
    key = f"cases/{case.id}/{digest}{ext}"
    _put_once(store, key, data)
    safe_name = "".join(c for c in filename if c.isalnum() or c in "._-")[:100] or f"photo{ext}"
    record = EvidenceFile(
        case_id=case.id, kind=kind, filename=safe_name, content_type=content_type,
        size_bytes=len(data), sha256=digest, storage_key=key, uploaded_by=actor.user_id,
        uploaded_at=now,
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
