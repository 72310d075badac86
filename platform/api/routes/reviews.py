"""Reviewed alerts for training (``streetorder models export-reviews`` reads them here)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from streetorder.platform.api.deps import SessionDep, StateDep, require
from streetorder.platform.domain.roles import Actor, Role
from streetorder.platform.schemas.common import Offset, Page
from streetorder.platform.services import reviews

router = APIRouter(prefix="/reviews", tags=["reviews"])
Reviewer = Annotated[Actor, Depends(require(Role.REVIEWER, Role.ADMIN))]


class ReviewedFrame(BaseModel):
    alert_id: str
    case_number: str
    verdict: Literal["confirmed", "rejected"]
    reason: str
    frame_size: tuple[int, int]
    objects: list[dict[str, Any]]
    file_id: int  # GET /api/v1/evidence/{file_id} gives the clean frame
    sha256: str
    model_version: str


@router.get(
    "/frames", response_model=Page[ReviewedFrame],
    summary="Reviewed alerts' clean frames with the detected objects, oldest case first",
)  # fmt: skip
def reviewed_frames(
    session: SessionDep, actor: Reviewer, state: StateDep,
    since: Annotated[date | None, Query(description="cases discovered from this local day")] = None,
    offset: Offset = 0, limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> Page[ReviewedFrame]:  # fmt: skip
    start = None if since is None else datetime.combine(since, time.min, state.settings.tz)
    rows, count = reviews.reviewed_frames(session, since=start, offset=offset, limit=limit)
    return Page(data=[ReviewedFrame(**row) for row in rows], count=count)
