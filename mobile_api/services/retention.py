"""The officer app's share of retention: when the platform's retention job has deleted a case's
files, the app's photo rows of that case forget where and when they were taken."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import update
from sqlalchemy.orm import Session

from streetorder.mobile_api.db import Photo


def forget_case_photos(session: Session, *, case_ids: Sequence[int]) -> int:
    """Clear the GPS position and capture time of the cases' photos; returns how many rows."""
    if not case_ids:
        return 0
    result = session.execute(
        update(Photo)
        .where(Photo.case_id.in_(list(case_ids)))
        .values(latitude=None, longitude=None, captured_at=None)
    )
    return result.rowcount or 0
