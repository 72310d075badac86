"""What the merchant's signed link shows: the case's frames with every person blurred.

Only frames are public (``PUBLIC_KINDS``): the clip is not, since the platform has no person
boxes for each of its frames. A rendition is made once from the original, after checking the
original still has the sha256 of its record, and kept in the store beside it; the original is
never changed (staff download it as received).
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from streetorder.platform.db import AlertRecord, Case, EvidenceFile
from streetorder.platform.db.audit import RetentionRecord
from streetorder.platform.domain.errors import Conflict, NotFound
from streetorder.platform.imaging.rendition import blur_people
from streetorder.platform.services import evidence
from streetorder.platform.storage import EvidenceStore, KeyExistsError

PUBLIC_KINDS = ("annotated_frame", "clean_frame")
RENDITION_VERSION = 1
CONTENT_TYPE = "image/png"


def rendition_key(record: EvidenceFile) -> str:
    return f"renditions/v{RENDITION_VERSION}/{record.id}-{record.sha256}.png"


def public_files(session: Session, *, case: Case) -> list[EvidenceFile]:
    """The case's files a merchant may see (none once retention deleted them)."""
    if _purged(session, case.id):
        return []
    return [f for f in evidence.case_files(session, case=case) if f.kind in PUBLIC_KINDS]


def rendition(session: Session, *, store: EvidenceStore, file_id: int) -> bytes:
    """The public PNG of one evidence frame, people blurred.

    Raises NotFound (no such public file, or deleted after the retention period), Conflict
    (the stored original no longer has its recorded sha256: nothing is shown).
    """
    record = session.get(EvidenceFile, file_id)
    if record is None or record.kind not in PUBLIC_KINDS:
        raise NotFound("file not found")
    alert = (
        session.scalars(select(AlertRecord).filter_by(alert_id=record.alert_id)).first()
        if record.alert_id
        else None
    )
    case_id = record.case_id or (alert.case_id if alert else None)
    if case_id is not None and _purged(session, case_id):
        raise NotFound("the evidence of this case was deleted after the retention period")
    key = rendition_key(record)
    if store.exists(key):
        return store.get(key)
    try:
        original = store.get(record.storage_key)
    except (FileNotFoundError, KeyError):
        raise NotFound("the file is missing from the store") from None
    if hashlib.sha256(original).hexdigest() != record.sha256:
        raise Conflict("the stored file does not match its recorded sha256; it is not shown")
    ref = next(
        (e for e in (alert.evidence if alert else []) if e["filename"] == record.filename), {}
    )
    persons = ref.get("persons")
    keep = [o["box_xyxy"] for o in alert.objects] if alert else []
    frame = tuple(alert.frame_size) if alert else None
    data = blur_people(original, persons, keep=keep, keep_frame_size=frame)
    try:
        store.put(key, data)
    except KeyExistsError:  # another replica made it first (same picture, other bytes)
        return store.get(key)
    return data


def rendition_link(
    session: Session, *, store: EvidenceStore, file_id: int, expires_seconds: int
) -> str | None:
    """A short-lived signed link to the rendition where the store gives them (S3), after
    making the rendition like :func:`rendition`; None for a store that serves bytes only."""
    signed_url = getattr(store, "url", None)
    if signed_url is None:
        return None
    rendition(session, store=store, file_id=file_id)  # checks, makes and stores it
    record = session.get(EvidenceFile, file_id)
    assert record is not None  # rendition() raised NotFound otherwise
    return signed_url(rendition_key(record), expires_seconds=expires_seconds)


def _purged(session: Session, case_id: int) -> bool:
    return session.scalar(select(RetentionRecord.id).filter_by(case_id=case_id)) is not None
