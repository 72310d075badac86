"""Photo records: bytes in the platform's evidence store, rows in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from streetorder.i18n import Reason
from streetorder.mobile_api.db import Photo
from streetorder.mobile_api.photos import ProcessedPhoto
from streetorder.platform.db import Case, WorkOrder
from streetorder.platform.domain.errors import InvalidInput, NotFound
from streetorder.platform.domain.roles import Actor
from streetorder.platform.services import evidence
from streetorder.platform.storage import EvidenceStore


def _row(photo: ProcessedPhoto, *, purpose: str, key: str, actor: Actor, now: datetime) -> Photo:
    assert actor.user_id is not None
    return Photo(
        purpose=purpose,
        squad_id=actor.squad_id,
        storage_key=key,
        content_type=photo.content_type,
        size_bytes=len(photo.data),
        width=photo.width,
        height=photo.height,
        sha256=photo.sha256,
        original_sha256=photo.original_sha256,
        original_format=photo.original_format,
        original_size=photo.original_size,
        captured_at=photo.captured_at,
        latitude=photo.latitude,
        longitude=photo.longitude,
        uploaded_by=actor.user_id,
        uploaded_at=now,
    )


def add_inspection_photo(
    session: Session, *, store: EvidenceStore, photo: ProcessedPhoto, actor: Actor, now: datetime
) -> Photo:
    """Store a photo for a later inspection record (content-addressed, so a retry or a failed
    transaction leaves at most an unreferenced copy of the same bytes)."""
    key = f"mobile/inspections/{photo.sha256[:2]}/{photo.sha256}.{photo.extension}"
    if not store.exists(key):
        store.put(key, photo.data)
    row = _row(photo, purpose="inspection", key=key, actor=actor, now=now)
    session.add(row)
    session.flush()
    return row


def add_rectification_photo(
    session: Session,
    *,
    store: EvidenceStore,
    photo: ProcessedPhoto,
    order: WorkOrder,
    case: Case,
    actor: Actor,
    now: datetime,
) -> Photo:
    """The after-correction photo: the platform's case photo plus this app's metadata row."""
    record = evidence.attach_case_photo(
        session,
        store=store,
        case=case,
        actor=actor,
        filename=f"rectification-{photo.sha256[:12]}.{photo.extension}",
        photo=photo.image,
        now=now,
        kind="rectification",
    )
    row = _row(photo, purpose="rectification", key=record.storage_key, actor=actor, now=now)
    row.work_order_id, row.case_id, row.evidence_file_id = order.id, case.id, record.id
    session.add(row)
    session.flush()
    return row


def get_photo(session: Session, *, actor: Actor, photo_id: int) -> Photo:
    photo = session.get(Photo, photo_id)
    if photo is None or photo.squad_id != actor.squad_id:
        raise NotFound(
            Reason("officer.not_found", what=Reason("officer.thing_photo"), ident=photo_id)
        )
    return photo


def order_photos(session: Session, *, work_order_id: int) -> list[Photo]:
    return list(
        session.scalars(select(Photo).filter_by(work_order_id=work_order_id).order_by(Photo.id))
    )


def claim_inspection_photos(
    session: Session, *, actor: Actor, photo_ids: list[int], inspection_id: int
) -> list[Photo]:
    """Attach uploaded inspection photos (of this squad, not yet used) to an inspection."""
    if not photo_ids:
        return []
    photos = list(session.scalars(select(Photo).where(Photo.id.in_(photo_ids))))
    found = {p.id: p for p in photos if p.squad_id == actor.squad_id}
    for photo_id in photo_ids:
        photo = found.get(photo_id)
        if photo is None:
            raise NotFound(
                Reason("officer.not_found", what=Reason("officer.thing_photo"), ident=photo_id)
            )
        if photo.purpose != "inspection":
            raise InvalidInput(Reason("officer.photo_for_order", photo=photo_id))
        if photo.inspection_id not in (None, inspection_id):
            raise InvalidInput(Reason("officer.photo_taken", photo=photo_id))
        photo.inspection_id = inspection_id
    return [found[i] for i in photo_ids]
