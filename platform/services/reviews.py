"""Reviewed camera alerts with their stored clean frame: what reviewers said about what the edge
saw, the material the models part turns into training data (through the JSON API)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from streetorder.platform.db import AlertRecord, Case, EvidenceFile
from streetorder.platform.domain.workflow import State


def _reviewed(since: datetime | None) -> Any:
    """Confirmed (whatever happened later) or rejected cases' alerts with a clean frame."""
    stmt = (
        select(Case, AlertRecord, EvidenceFile)
        .join(AlertRecord, AlertRecord.case_id == Case.id)
        .join(
            EvidenceFile,
            (EvidenceFile.alert_id == AlertRecord.alert_id) & (EvidenceFile.kind == "clean_frame"),
        )
        .where(Case.confirmed_at.is_not(None) | (Case.state == State.REJECTED.value))
    )
    return stmt if since is None else stmt.where(Case.discovered_at >= since)


def reviewed_frames(
    session: Session, *, since: datetime | None = None, offset: int = 0, limit: int = 500
) -> tuple[list[dict[str, Any]], int]:
    """One page of reviewed frames, oldest case first, and their total."""
    stmt = _reviewed(since)
    count = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.execute(stmt.order_by(Case.id, AlertRecord.id).offset(offset).limit(limit))
    out = []
    for case, alert, frame in rows:
        verdict = "confirmed" if case.confirmed_at is not None else "rejected"
        out.append(
            {
                "alert_id": alert.alert_id, "case_number": case.number, "verdict": verdict,
                "reason": (case.reject_reason or "") if verdict == "rejected" else "",
                "frame_size": (int(alert.frame_size[0]), int(alert.frame_size[1])),
                "objects": list(alert.objects), "file_id": frame.id, "sha256": frame.sha256,
                "model_version": f"{alert.model_name} {alert.model_version}",
            }
        )  # fmt: skip
    return out, int(count or 0)
