"""Reporters' photos: the platform's one image validator, then write-once storage.

A photo is stored as the validator re-encodes it (pixels only: no EXIF, no GPS of the reporter);
its sha256 and the upload's are recorded with the case's evidence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from streetorder.platform.db import Case, EvidenceFile
from streetorder.platform.domain.errors import Conflict
from streetorder.platform.imaging.validate import CleanImage, ImagePolicy, clean_image
from streetorder.platform.storage import EvidenceStore, KeyExistsError

KIND = "citizen_photo"


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def check(upload: Upload, *, max_bytes: int, max_pixels: int, index: int) -> CleanImage:
    """Validate and clean one photo (413, 415 or 422 with the reason); nothing is stored."""
    policy = ImagePolicy(
        formats=frozenset({"JPEG", "PNG"}), max_bytes=max_bytes, max_pixels=max_pixels,
        what=f"photo {index} ({_safe_name(upload.filename, 'upload')})",
    )  # fmt: skip
    return clean_image(upload.data, policy)


def store(
    session: Session, *, store: EvidenceStore, case: Case, photo: CleanImage, filename: str,
    now: datetime,
) -> EvidenceFile:  # fmt: skip
    """The photo under a content-addressed key, and its evidence row on the case."""
    key = f"citizen/{now:%Y/%m/%d}/{photo.sha256}.{photo.extension}"
    try:
        store.put(key, photo.data)
    except KeyExistsError:  # the same hash with other bytes: cannot happen short of a collision
        raise Conflict(f"evidence {key} is already stored with other content") from None
    record = EvidenceFile(
        case_id=case.id, kind=KIND, filename=_safe_name(filename, f"photo.{photo.extension}"),
        content_type=photo.content_type, size_bytes=len(photo.data), sha256=photo.sha256,
        storage_key=key, uploaded_by=None, uploaded_at=now,
    )  # fmt: skip
    session.add(record)
    session.flush()
    return record


def _safe_name(filename: str, default: str) -> str:
    return "".join(c for c in filename if c.isalnum() or c in "._-")[:100] or default
