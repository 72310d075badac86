"""Health, ingest counters and rejected messages, and the merchant's public evidence link."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from streetorder.platform.api.deps import AdminUser, Public, SessionDep, StaffUser, StateDep
from streetorder.platform.db import Case, EvidenceFile
from streetorder.platform.domain.errors import Forbidden, NotFound
from streetorder.platform.domain.workflow import format_local
from streetorder.platform.schemas.common import Out, Page
from streetorder.platform.services import evidence, rejections
from streetorder.platform.services.health import ping
from streetorder.platform.services.paging import page

health_router = APIRouter(tags=["system"])
ingest_router = APIRouter(prefix="/ingest", tags=["system"])
public_router = APIRouter(prefix="/public", tags=["public"])


@health_router.get("/health", summary="Liveness and database check", dependencies=[Public()])
def health(session: SessionDep, state: StateDep) -> dict[str, str]:
    ping(session)
    return {"status": "ok", "database": state.db.dialect}


class RejectedPublic(Out):
    id: int
    topic: str
    reason: str
    payload_head: str
    received_at: datetime


@ingest_router.get("/rejected", response_model=Page[RejectedPublic], summary="Refused messages")
def rejected(
    session: SessionDep, actor: AdminUser, offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Page[RejectedPublic]:  # fmt: skip
    rows, count = page(session, rejections.rejected_query(), offset=offset, limit=limit)
    return Page(data=[RejectedPublic.model_validate(r) for r in rows], count=count)


@ingest_router.get("/stats", summary="Consumer counters of this replica, and rejections stored")
def ingest_stats(session: SessionDep, actor: StaffUser, state: StateDep) -> dict[str, Any]:
    consumer = state.ingest_stats() if state.ingest_stats else None
    return {"consumer": consumer, "rejected_stored": rejections.count_rejected(session)}


class PublicFile(BaseModel):
    kind: str
    sha256: str
    url: str


class PublicEvidence(BaseModel):
    case_number: str
    discovered_at: str
    place: str
    files: list[PublicFile]


@public_router.get(
    "/cases/{case_id}/evidence", response_model=PublicEvidence, dependencies=[Public()]
)
def public_evidence(case_id: int, sig: str, session: SessionDep, state: StateDep) -> PublicEvidence:
    """What the merchant's SMS links to: the case's camera evidence (signed link, no login)."""
    signer = state.rules.signer
    if not signer.check_link(f"case:{case_id}", sig):
        raise Forbidden("invalid link")
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("case not found")
    files = [
        PublicFile(
            kind=f.kind,
            sha256=f.sha256,
            url=f"/api/v1/public/evidence/{f.id}?sig={signer.sign_link(f'file:{f.id}')}",
        )  # fmt: skip
        for f in evidence.case_files(session, case=case)
        if f.kind in ("annotated_frame", "clean_frame", "clip")
    ]
    return PublicEvidence(
        case_number=case.number, discovered_at=format_local(case.discovered_at, state.rules.tz),
        place=case.place, files=files,
    )  # fmt: skip


@public_router.get(
    "/evidence/{file_id}", summary="One evidence file behind a signed link",
    dependencies=[Public()],
)  # fmt: skip
def public_file(file_id: int, sig: str, session: SessionDep, state: StateDep) -> Response:
    if not state.rules.signer.check_link(f"file:{file_id}", sig):
        raise Forbidden("invalid link")
    record = session.get(EvidenceFile, file_id)
    if record is None:
        raise NotFound("file not found")
    return Response(state.store.get(record.storage_key), media_type=record.content_type)
