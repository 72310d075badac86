"""Alerts as received, and the evidence upload from edge nodes (see docs/INTERFACES.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from streetorder.platform.api.deps import (
    SessionDep,
    SquadUser,
    StateDep,
    actor_of,
    api_scope,
    authenticate,
)
from streetorder.platform.api.scope import squad_limit
from streetorder.platform.api.state import PlatformState
from streetorder.platform.domain.errors import Forbidden, NotFound, PayloadTooLarge, Unauthorized
from streetorder.platform.domain.roles import Role
from streetorder.platform.schemas.cases import AlertPublic, EvidenceFilePublic
from streetorder.platform.schemas.common import Page
from streetorder.platform.services import case_reads, evidence
from streetorder.platform.services.paging import page

router = APIRouter(prefix="/alerts", tags=["alerts and evidence"])
FILENAME = r"^[A-Za-z0-9_.-]+$"


@router.get("", response_model=Page[AlertPublic])
def list_alerts(
    session: SessionDep, actor: SquadUser, case_id: int | None = None,
    offset: Annotated[int, Query(ge=0)] = 0, limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[AlertPublic]:  # fmt: skip
    stmt = case_reads.alerts_query(case_id=case_id, squad_id=squad_limit(actor))
    rows, count = page(session, stmt, offset=offset, limit=limit)
    return Page(data=[AlertPublic.model_validate(a) for a in rows], count=count)


@router.get("/{alert_id}", response_model=AlertPublic)
def get_alert(alert_id: str, session: SessionDep, actor: SquadUser) -> AlertPublic:
    alert = case_reads.get_alert(session, alert_id=alert_id)
    if alert is None:
        raise NotFound(f"alert {alert_id} not found")
    return AlertPublic.model_validate(alert)


def _store_upload(
    state: PlatformState, token: str, alert_id: str, filename: str, data: bytes,
    sha256: str | None, content_type: str,
) -> tuple[EvidenceFilePublic, bool]:  # fmt: skip
    now = state.clock()
    with state.db.session() as session:
        user = authenticate(session, state, token, now)
        actor = actor_of(session, user)
        if actor.role not in (Role.EDGE_NODE, Role.ADMIN):
            raise Forbidden("only edge nodes upload alert evidence")
        record, created = evidence.upload_alert_evidence(
            session, store=state.store, actor=actor, alert_id=alert_id, filename=filename,
            data=data, declared_sha256=sha256, content_type=content_type,
            max_bytes=int(state.settings.evidence.max_upload_mb * 1024 * 1024), now=now,
        )  # fmt: skip
        return EvidenceFilePublic.of(record), created


@router.put(
    "/{alert_id}/evidence/{filename}",
    response_model=EvidenceFilePublic,
    status_code=201,
    summary="Upload one evidence file of an alert (edge nodes)",
    dependencies=[api_scope.roles(Role.EDGE_NODE, Role.ADMIN)],
    responses={
        200: {"description": "The same bytes were already stored."},
        400: {"description": "Body differs from X-Content-Sha256, or file not in the alert."},
        401: {"description": "Missing or wrong token."},
        403: {"description": "Another node's alert."},
        409: {"description": "Alert not yet received: retry later."},
        413: {"description": "Larger than the limit (50 MB)."},
        422: {"description": "Hash differs from the alert's EvidenceRef."},
    },
)
async def upload_evidence(
    request: Request,
    response: Response,
    state: StateDep,
    alert_id: Annotated[str, Path(max_length=64)],
    filename: Annotated[str, Path(max_length=200, pattern=FILENAME)],
    x_content_sha256: Annotated[str | None, Header()] = None,
    content_type: Annotated[str, Header()] = "application/octet-stream",
    authorization: Annotated[str | None, Header()] = None,
) -> EvidenceFilePublic:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("not authenticated: send Authorization: Bearer <node token>")
    limit = int(state.settings.evidence.max_upload_mb * 1024 * 1024)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"file is larger than {state.settings.evidence.max_upload_mb:g} MB")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(
                f"file is larger than {state.settings.evidence.max_upload_mb:g} MB"
            )
        chunks.append(chunk)
    out, created = await run_in_threadpool(
        _store_upload, state, authorization[7:].strip(), alert_id, filename, b"".join(chunks),
        x_content_sha256, content_type,
    )  # fmt: skip
    response.status_code = 201 if created else 200
    return out


evidence_router = APIRouter(prefix="/evidence", tags=["alerts and evidence"])


@evidence_router.get("/{file_id}", summary="Download an evidence file (authorised users)")
def download(file_id: int, session: SessionDep, actor: SquadUser, state: StateDep) -> Response:
    record = evidence.get_file(session, file_id=file_id)
    if actor.role in (Role.OFFICER, Role.SQUAD_LEADER):
        from streetorder.platform.services.cases import get_case

        case_id = record.case_id or case_reads.case_id_of_alert(session, alert_id=record.alert_id)
        if case_id is None:
            raise NotFound(f"evidence file {file_id} not found")
        get_case(session, case_id=case_id, actor=actor)  # 404 outside the squad
    try:
        data = state.store.get(record.storage_key)
    except FileNotFoundError:
        raise NotFound(f"evidence file {file_id} is missing from the store") from None
    return Response(
        data, media_type=record.content_type,
        headers={"X-Content-Sha256": record.sha256, "Cache-Control": "private, max-age=3600"},
    )  # fmt: skip
