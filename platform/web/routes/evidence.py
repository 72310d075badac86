"""Evidence files for logged-in users of the console (images, and clips with byte ranges)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from streetorder.i18n import Reason
from streetorder.platform.db import EvidenceFile
from streetorder.platform.domain.errors import NotFound
from streetorder.platform.services import case_reads
from streetorder.platform.services import cases as case_service
from streetorder.platform.web.auth import EVERYONE, Viewer, require
from streetorder.platform.web.context import ConsoleContext, get_context

router = APIRouter()
Ctx = Annotated[ConsoleContext, Depends(get_context)]
Anyone = Annotated[Viewer, Depends(require(*EVERYONE))]
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(first, last)`` of a single ``Range: bytes=a-b`` header, or ``None`` for the whole file.

    Raises:
        ValueError: the range cannot be satisfied (HTTP 416).
    """
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if not match or (not match[1] and not match[2]):
        return None  # multi-range or malformed: answer with the whole file
    if match[1]:
        first = int(match[1])
        last = min(int(match[2]), size - 1) if match[2] else size - 1
    else:
        first, last = max(0, size - int(match[2])), size - 1
    if first >= size or first > last:
        raise ValueError(f"range {header!r} outside a file of {size} bytes")
    return first, last


def _serve(request: Request, data: bytes, content_type: str, sha256: str) -> Response:
    headers = {
        "Accept-Ranges": "bytes",
        "Cache-Control": "private, max-age=3600",
        "X-Content-Sha256": sha256,
    }
    try:
        span = byte_range(request.headers.get("range"), len(data))
    except ValueError:
        return Response(status_code=416, headers={"Content-Range": f"bytes */{len(data)}"})
    if span is None:
        return Response(data, media_type=content_type, headers=headers)
    first, last = span
    headers["Content-Range"] = f"bytes {first}-{last}/{len(data)}"
    return Response(
        data[first : last + 1], status_code=206, media_type=content_type, headers=headers
    )


@router.get("/files/{file_id}")
def case_file(request: Request, ctx: Ctx, viewer: Anyone, file_id: int):
    """A photo attached to a case (e.g. after correction), in the case's scope."""
    with ctx.db.session() as session:
        record = session.get(EvidenceFile, file_id)
        try:
            if record is None or record.case_id is None:
                raise NotFound(Reason("refusal.no_such_file"))
            case_service.get_case(session, case_id=record.case_id, actor=viewer.actor)
        except NotFound:
            return Response("file not found", status_code=404)
    return _deliver(request, ctx, record)


@router.get("/evidence/{alert_id}/{filename}")
def evidence_file(request: Request, ctx: Ctx, viewer: Anyone, alert_id: str, filename: str):
    with ctx.db.session() as session:
        record = case_reads.alert_file(session, alert_id=alert_id, filename=filename)
        case_id = case_reads.case_id_of_alert(session, alert_id=alert_id)
        if record is not None and case_id is not None:
            try:  # the same scope as the case: officers see their squad's evidence only
                case_service.get_case(session, case_id=case_id, actor=viewer.actor)
            except NotFound:
                record = None
    if record is None:
        return Response("evidence file not found (not uploaded yet?)", status_code=404)
    return _deliver(request, ctx, record)


def _deliver(request: Request, ctx: ConsoleContext, record: EvidenceFile) -> Response:
    """From an object store, a redirect to a short-lived signed link (the bytes do not pass
    through the platform; the viewer's scope was checked above); from files, the bytes."""
    signed_url = getattr(ctx.store, "url", None)
    if signed_url is not None:
        expiry = ctx.settings.evidence.s3.url_expiry_seconds
        link = signed_url(record.storage_key, expires_seconds=expiry)
        return RedirectResponse(link, status_code=307, headers={"Cache-Control": "no-store"})
    return _serve(request, ctx.store.get(record.storage_key), record.content_type, record.sha256)
