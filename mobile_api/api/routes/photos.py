"""Inspection photo uploads, and reading photos and evidence files of the squad."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, Request, Response, UploadFile

from streetorder.i18n import Reason
from streetorder.mobile_api.api import schemas as s
from streetorder.mobile_api.api.deps import Ctx, CurrentActor, IdempotencyKey
from streetorder.mobile_api.api.present import photo_out
from streetorder.mobile_api.api.writes import user_scope, write
from streetorder.mobile_api.photos import process_photo, read_limited
from streetorder.mobile_api.services.photos import add_inspection_photo, get_photo
from streetorder.platform.db import Case
from streetorder.platform.domain.errors import NotFound
from streetorder.platform.services import case_reads, evidence

router = APIRouter(tags=["photos"])
ObjectId = Annotated[int, Path(ge=1, le=s.MAX_ID)]
IMAGE = {200: {"content": {"image/jpeg": {}, "image/png": {}}, "description": "The image"}}


@router.post(
    "/photos",
    response_model=s.PhotoOut,
    status_code=201,
    summary="Upload an inspection photo (JPEG, PNG or HEIC, at most 10 MB); then cite its id",
    responses={413: {"description": "Too large"}, 415: {"description": "Not a JPEG/PNG/HEIC"}},
)
def upload(
    actor: CurrentActor, ctx: Ctx, request: Request,
    file: Annotated[UploadFile, File(description="The photo")], key: IdempotencyKey = None,
) -> Response:  # fmt: skip
    cfg = ctx.mobile.photos
    data = read_limited(file.file, cfg.max_bytes)
    photo = process_photo(
        data, max_bytes=cfg.max_bytes, max_pixels=cfg.max_pixels, jpeg_quality=cfg.jpeg_quality,
        tz=ctx.rules.tz, allow_heic=cfg.allow_heic,
    )  # fmt: skip
    return write(
        ctx, request, scope=user_scope(actor.user_id), key=key, body=data, status_code=201,
        action=lambda session: photo_out(
            add_inspection_photo(session, store=ctx.store, photo=photo, actor=actor, now=ctx.now())
        ),
    )  # fmt: skip


@router.get("/photos/{photo_id}", response_model=s.PhotoOut, summary="A photo's record")
def photo(photo_id: ObjectId, actor: CurrentActor, ctx: Ctx) -> s.PhotoOut:
    with ctx.db.session() as session:
        return photo_out(get_photo(session, actor=actor, photo_id=photo_id))


@router.get("/photos/{photo_id}/content", response_class=Response, responses=IMAGE)
def photo_content(photo_id: ObjectId, actor: CurrentActor, ctx: Ctx) -> Response:
    with ctx.db.session() as session:
        row = get_photo(session, actor=actor, photo_id=photo_id)
    return _bytes(ctx, row.storage_key, row.content_type, row.sha256)


@router.get(
    "/files/{file_id}",
    response_class=Response,
    responses=IMAGE,
    summary="An evidence file of one of the squad's cases (alert frames, case photos)",
)
def evidence_file(file_id: ObjectId, actor: CurrentActor, ctx: Ctx) -> Response:
    with ctx.db.session() as session:
        try:
            record = evidence.get_file(session, file_id=file_id)
        except NotFound:
            record = None
        case_id = record.case_id if record else None
        if record is not None and case_id is None and record.alert_id:
            case_id = case_reads.case_id_of_alert(session, alert_id=record.alert_id)
        case = session.get(Case, case_id) if case_id else None
        if record is None or case is None or case.squad_id != actor.squad_id:
            raise NotFound(
                Reason("officer.not_found", what=Reason("officer.thing_file"), ident=file_id)
            )
    return _bytes(ctx, record.storage_key, record.content_type, record.sha256)


def _bytes(ctx, key: str, content_type: str, sha256: str) -> Response:
    try:
        data = ctx.store.get(key)
    except (FileNotFoundError, ValueError):
        raise NotFound(Reason("refusal.file_missing")) from None
    headers = {"ETag": f'"{sha256}"', "Cache-Control": "private, max-age=86400"}
    return Response(data, media_type=content_type, headers=headers)
