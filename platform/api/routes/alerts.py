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
from streetorder.platform.domain.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
)
from streetorder.platform.domain.roles import Actor, Role
from streetorder.platform.schemas.cases import AlertPublic, EvidenceFilePublic
from streetorder.platform.schemas.common import Id, Offset, Page
from streetorder.platform.services import case_reads, evidence
from streetorder.platform.services.paging import page
from streetorder.platform.storage import StagedUpload

router = APIRouter(prefix="/alerts", tags=["alerts and evidence"])
FILENAME = r"^[A-Za-z0-9_.-]+$"


@router.get("", response_model=Page[AlertPublic])
def list_alerts(
    session: SessionDep, actor: SquadUser, case_id: Id | None = None,
    offset: Offset = 0, limit: Annotated[int, Query(ge=1, le=500)] = 50,
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


def _before_body(
    state: PlatformState, token: str, alert_id: str, filename: str, content_length: str | None,
) -> tuple[Actor, evidence.EvidencePlan]:  # fmt: skip
    """Everything the headers decide: who sends (401/403), how much (413), whether the alert
    and its file are known (409/400); no byte of the body has been read."""
    with state.db.session() as session:
        actor = actor_of(session, authenticate(session, state, token, state.clock()))
        if actor.role not in (Role.EDGE_NODE, Role.ADMIN):
            raise Forbidden("only edge nodes upload alert evidence")
        limit = _limit(state)
        if content_length and content_length.isdigit() and int(content_length) > limit:
            raise PayloadTooLarge(_too_large(state))
        plan = evidence.plan_alert_evidence(
            session, actor=actor, alert_id=alert_id, filename=filename
        )
        return actor, plan


def _after_body(
    state: PlatformState, actor: Actor, alert_id: str, filename: str, staged: StagedUpload,
    sha256: str | None, content_type: str,
) -> tuple[EvidenceFilePublic, bool]:  # fmt: skip
    with state.db.session() as session:
        record, created = evidence.record_alert_evidence(
            session, store=state.store, actor=actor, alert_id=alert_id, filename=filename,
            staged=staged, declared_sha256=sha256, content_type=content_type, now=state.clock(),
        )  # fmt: skip
        return EvidenceFilePublic.of(record), created


def _limit(state: PlatformState) -> int:
    return int(state.settings.evidence.max_upload_mb * 1024 * 1024)


def _too_large(state: PlatformState) -> str:
    return f"file is larger than {state.settings.evidence.max_upload_mb:g} MB"


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
        422: {
            "description": "Hash or length differs from the alert's EvidenceRef, or an image "
            "that does not decode."
        },
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
    """Headers first: the node's token, the size and the alert are checked before the body is
    read; the body then streams to the store's staging area (counted, hashed), never whole
    into memory."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("not authenticated: send Authorization: Bearer <node token>")
    actor, plan = await run_in_threadpool(
        _before_body, state, authorization[7:].strip(), alert_id, filename,
        request.headers.get("content-length"),
    )  # fmt: skip
    if plan.already_stored(x_content_sha256):  # a retry: nothing to read
        response.status_code = 200
        return EvidenceFilePublic.of(plan.existing)
    cap = min(_limit(state), int(plan.ref.get("size_bytes") or 0) or _limit(state))
    staged = await run_in_threadpool(state.store.stage)
    try:
        async for chunk in request.stream():
            staged.write(chunk)
            if staged.size > cap:
                if cap < _limit(state):
                    raise InvalidInput(
                        f"{filename}: the body is longer than the alert's evidence record "
                        f"({cap} bytes)"
                    )
                raise PayloadTooLarge(_too_large(state))
        out, created = await run_in_threadpool(
            _after_body, state, actor, alert_id, filename, staged, x_content_sha256, content_type
        )
    finally:
        staged.discard()
    response.status_code = 201 if created else 200
    return out


evidence_router = APIRouter(prefix="/evidence", tags=["alerts and evidence"])


@evidence_router.get(
    "/{file_id}", summary="Download an evidence file (authorised users)", response_class=Response,
    responses={200: {"description": "The file as stored (sha256 in X-Content-Sha256)",
                     "content": {"image/*": {}, "video/*": {}, "application/octet-stream": {}}}},
)  # fmt: skip
def download(file_id: Id, session: SessionDep, actor: SquadUser, state: StateDep) -> Response:
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
