"""Health, ingest counters and rejected messages, and the merchant's public evidence link."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, Field

from streetorder.i18n import CATALOGUE, normalise_language, translator
from streetorder.platform.api.deps import AdminUser, Public, SessionDep, StaffUser, StateDep
from streetorder.platform.db import Case
from streetorder.platform.domain.errors import Forbidden, NotFound
from streetorder.platform.domain.workflow import format_local
from streetorder.platform.schemas.common import Id, Offset, Out, Page
from streetorder.platform.services import public_evidence as public
from streetorder.platform.services import rejections
from streetorder.platform.services.health import ping
from streetorder.platform.services.paging import page
from streetorder.platform.web.context import TEMPLATES_DIR

health_router = APIRouter(tags=["system"])
ingest_router = APIRouter(prefix="/ingest", tags=["system"])
public_router = APIRouter(prefix="/public", tags=["public"])
RejectionCategory = Literal["invalid", "untrusted", "clock", "conflict", "error"]


@health_router.get("/health", summary="Liveness and database check", dependencies=[Public()])
def health(session: SessionDep, state: StateDep) -> dict[str, str]:
    ping(session)
    return {"status": "ok", "database": state.db.dialect}


class RejectedPublic(Out):
    id: int
    topic: str
    category: RejectionCategory
    reason: str
    node_code: str | None
    alert_id: str | None
    payload_head: str = Field(description="The payload's readable start (NUL shown as U+FFFD).")
    payload_base64: str | None = Field(description="The payload's bytes as received (kept part).")
    payload_size: int | None = Field(description="The whole payload's size in bytes.")
    received_at: datetime

    @classmethod
    def of(cls, row: Any) -> RejectedPublic:
        data = {name: getattr(row, name) for name in cls.model_fields if hasattr(row, name)}
        kept = row.payload
        data["payload_base64"] = base64.b64encode(kept).decode("ascii") if kept else None
        return cls.model_validate(data)


@ingest_router.get("/rejected", response_model=Page[RejectedPublic], summary="Refused messages")
def rejected(
    session: SessionDep, actor: AdminUser, offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    category: Annotated[RejectionCategory | None, Query()] = None,
) -> Page[RejectedPublic]:  # fmt: skip
    """Every message the ingest refused, newest first, with the reason and its bytes."""
    query = rejections.rejected_query(category=category)
    rows, count = page(session, query, offset=offset, limit=limit)
    return Page(data=[RejectedPublic.of(r) for r in rows], count=count)


@ingest_router.get(
    "/conflicts", response_model=Page[RejectedPublic], summary="Alert ids sent with other content"
)
def conflicts(
    session: SessionDep, actor: AdminUser, offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Page[RejectedPublic]:  # fmt: skip
    """Messages that reused a stored alert id with other content; the stored alert stays."""
    rows, count = page(
        session, rejections.rejected_query(category="conflict"), offset=offset, limit=limit
    )
    return Page(data=[RejectedPublic.of(r) for r in rows], count=count)


@ingest_router.get("/stats", summary="Consumer counters of this replica, and rejections stored")
def ingest_stats(session: SessionDep, actor: StaffUser, state: StateDep) -> dict[str, Any]:
    consumer = state.ingest_stats() if state.ingest_stats else None
    return {"consumer": consumer, "rejected_stored": rejections.count_rejected(session)}


class PublicFile(BaseModel):
    kind: str
    sha256: str = Field(
        description="Of the original kept for the case record; the url serves a rendition of it "
        "with every person blurred (PNG)."
    )
    url: str


class PublicEvidence(BaseModel):
    case_number: str
    discovered_at: str
    place: str
    files: list[PublicFile]


@public_router.get(
    "/cases/{case_id}/evidence", response_model=PublicEvidence, dependencies=[Public()]
)
def public_evidence(
    case_id: Id, sig: str, session: SessionDep, state: StateDep, request: Request
) -> PublicEvidence | HTMLResponse:
    """What the merchant's SMS links to: the case's camera frames, people blurred (signed link,
    no login; nothing once the retention period has deleted them). A browser (``Accept:
    text/html``, as a phone's) gets a page in Chinese with the pictures; any other client JSON."""
    signer = state.rules.signer
    html = "text/html" in request.headers.get("accept", "")
    if not signer.check_link(f"case:{case_id}", sig):
        if html:
            return _public_page(request, status_code=403)
        raise Forbidden("invalid link")
    case = session.get(Case, case_id)
    if case is None:
        if html:
            return _public_page(request, status_code=404)
        raise NotFound("case not found")
    files = [
        PublicFile(
            kind=f.kind,
            sha256=f.sha256,
            url=f"/api/v1/public/evidence/{f.id}?sig={signer.sign_link(f'file:{f.id}')}",
        )  # fmt: skip
        for f in public.public_files(session, case=case)
    ]
    evidence = PublicEvidence(
        case_number=case.number, discovered_at=format_local(case.discovered_at, state.rules.tz),
        place=case.place, files=files,
    )  # fmt: skip
    return _public_page(request, evidence) if html else evidence


_PUBLIC_PAGES = Environment(
    loader=FileSystemLoader(str(TEMPLATES_DIR)), autoescape=select_autoescape(["html"])
)


def _public_page(
    request: Request, evidence: PublicEvidence | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """The merchant's page: Chinese unless the phone asks for English first."""
    first = request.headers.get("accept-language", "").split(",")[0].strip()
    language = normalise_language(first or None)
    t = translator(language)
    values = evidence.model_dump() if evidence else {"case_number": ""}
    for f in values.get("files", []):
        key = f"evidence_kind.{f['kind']}"
        f["label"] = t(key) if key in CATALOGUE else f["kind"]
    body = _PUBLIC_PAGES.get_template("public_evidence.html").render(t=t, lang=language, **values)
    return HTMLResponse(
        body, status_code=status_code,
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                 "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"},
    )  # fmt: skip


@public_router.get(
    "/evidence/{file_id}", summary="One evidence frame behind a signed link, people blurred",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}}, "description": "The public rendition"},
        307: {"description": "Evidence in an object store: a short-lived signed link to the "
              "rendition (Location)"},
    },
    dependencies=[Public()],
)  # fmt: skip
def public_file(file_id: Id, sig: str, session: SessionDep, state: StateDep) -> Response:
    if not state.rules.signer.check_link(f"file:{file_id}", sig):
        raise Forbidden("invalid link")
    s3 = state.settings.evidence.s3
    link = public.rendition_link(
        session, store=state.store, file_id=file_id,
        expires_seconds=s3.url_expiry_seconds if s3 else 600,
    )  # fmt: skip
    if link is not None:
        return RedirectResponse(link, status_code=307, headers={"Cache-Control": "no-store"})
    data = public.rendition(session, store=state.store, file_id=file_id)
    return Response(data, media_type=public.CONTENT_TYPE)
