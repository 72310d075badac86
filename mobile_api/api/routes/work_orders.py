"""Pending work orders (代办工单): the officer's actions and the verifier's before/after view."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, Request, Response, UploadFile

from streetorder.mobile_api.api import schemas as s
from streetorder.mobile_api.api.deps import Ctx, CurrentActor, IdempotencyKey, Leader
from streetorder.mobile_api.api.present import (
    file_url,
    merchant_brief,
    photo_out,
    photo_url,
    task_out,
)
from streetorder.mobile_api.api.writes import user_scope, write
from streetorder.mobile_api.photos import process_photo, read_limited
from streetorder.mobile_api.services import work_orders as wo
from streetorder.mobile_api.services.photos import order_photos
from streetorder.mobile_api.services.scope import require_leader
from streetorder.mobile_api.services.tasks import work_order_row
from streetorder.platform.db import User
from streetorder.platform.services import case_reads, evidence

router = APIRouter(prefix="/work-orders", tags=["work orders"])
WorkOrderId = Annotated[int, Path(ge=1, le=s.MAX_ID)]


def _detail(session, actor, work_order_id: int, now, workflow=None) -> s.WorkOrderDetail:
    row = work_order_row(session, actor=actor, work_order_id=work_order_id)
    return s.WorkOrderDetail(
        task=task_out(session, row, now, role=actor.role, workflow=workflow),
        timeline=[
            s.ActionOut.model_validate(a) for a in wo.timeline(session, work_order_id=row.ref_id)
        ],
        photos=[photo_out(p) for p in order_photos(session, work_order_id=row.ref_id)],
    )


@router.get("/{work_order_id}", response_model=s.WorkOrderDetail, summary="A work order")
def get_work_order(work_order_id: WorkOrderId, actor: CurrentActor, ctx: Ctx) -> s.WorkOrderDetail:
    with ctx.db.session() as session:
        return _detail(session, actor, work_order_id, ctx.now(), ctx.rules.workflow)


def _act(ctx, request, actor, key, body, work_order_id: int, do) -> Response:
    def action(session):
        do(session)
        return _detail(session, actor, work_order_id, ctx.now(), ctx.rules.workflow)

    return write(ctx, request, scope=user_scope(actor.user_id), key=key, body=body, action=action)


@router.post("/{work_order_id}/acknowledge", response_model=s.WorkOrderDetail, summary="Take it")
def acknowledge(
    work_order_id: WorkOrderId, actor: CurrentActor, ctx: Ctx, request: Request,
    key: IdempotencyKey = None,
) -> Response:  # fmt: skip
    return _act(ctx, request, actor, key, None, work_order_id, lambda session: wo.acknowledge(
        session, actor=actor, work_order_id=work_order_id, now=ctx.now()))  # fmt: skip


@router.post(
    "/{work_order_id}/order-to-correct",
    response_model=s.WorkOrderDetail,
    summary="责令改正: the merchant was ordered on site to correct",
)
def order_to_correct(
    work_order_id: WorkOrderId, body: s.FieldNoteIn, actor: CurrentActor, ctx: Ctx,
    request: Request, key: IdempotencyKey = None,
) -> Response:  # fmt: skip
    return _act(ctx, request, actor, key, body, work_order_id, lambda session: wo.order_to_correct(
        session, actor=actor, work_order_id=work_order_id, note=body.note,
        position=(body.latitude, body.longitude), now=ctx.now()))  # fmt: skip


@router.post(
    "/{work_order_id}/refusal",
    response_model=s.WorkOrderDetail,
    summary="The merchant refused to correct",
)
def refusal(
    work_order_id: WorkOrderId, body: s.FieldNoteIn, actor: CurrentActor, ctx: Ctx,
    request: Request, key: IdempotencyKey = None,
) -> Response:  # fmt: skip
    return _act(ctx, request, actor, key, body, work_order_id, lambda session: wo.report_refusal(
        session, actor=actor, work_order_id=work_order_id, note=body.note,
        position=(body.latitude, body.longitude), now=ctx.now()))  # fmt: skip


@router.post(
    "/{work_order_id}/extension",
    response_model=s.WorkOrderDetail,
    summary="Ask for more time (reason required; the platform's limits apply)",
)
def extension(
    work_order_id: WorkOrderId, body: s.ReasonIn, actor: CurrentActor, ctx: Ctx,
    request: Request, key: IdempotencyKey = None,
) -> Response:  # fmt: skip
    return _act(ctx, request, actor, key, body, work_order_id, lambda session: wo.ask_extension(
        session, actor=actor, work_order_id=work_order_id, reason=body.reason, rules=ctx.rules,
        now=ctx.now()))  # fmt: skip


@router.post(
    "/{work_order_id}/photos",
    response_model=s.PhotoOut,
    status_code=201,
    summary="Upload an after-correction photo (JPEG, PNG or HEIC, at most 10 MB)",
    responses={413: {"description": "Too large"}, 415: {"description": "Not a JPEG/PNG/HEIC"}},
)
def add_photo(
    work_order_id: WorkOrderId, actor: CurrentActor, ctx: Ctx, request: Request,
    file: Annotated[UploadFile, File(description="The photo")], key: IdempotencyKey = None,
) -> Response:  # fmt: skip
    cfg = ctx.mobile.photos
    data = read_limited(file.file, cfg.max_bytes)
    with ctx.db.session() as session:  # 404 before the work of decoding
        work_order_row(session, actor=actor, work_order_id=work_order_id)
    photo = process_photo(
        data, max_bytes=cfg.max_bytes, max_pixels=cfg.max_pixels, jpeg_quality=cfg.jpeg_quality,
        tz=ctx.rules.tz, allow_heic=cfg.allow_heic,
    )  # fmt: skip

    def action(session):
        row = wo.add_photo(
            session, actor=actor, work_order_id=work_order_id, photo=photo, store=ctx.store,
            now=ctx.now(),
        )  # fmt: skip
        return photo_out(row)

    return write(
        ctx, request, scope=user_scope(actor.user_id), key=key, body=data, action=action,
        status_code=201,
    )  # fmt: skip


@router.post(
    "/{work_order_id}/complete",
    response_model=s.WorkOrderDetail,
    summary="Done: send the photos; the case goes to verification",
)
def complete(
    work_order_id: WorkOrderId, body: s.CompleteIn, actor: CurrentActor, ctx: Ctx,
    request: Request, key: IdempotencyKey = None,
) -> Response:  # fmt: skip
    return _act(ctx, request, actor, key, body, work_order_id, lambda session: wo.complete(
        session, actor=actor, work_order_id=work_order_id, note=body.note, rules=ctx.rules,
        now=ctx.now()))  # fmt: skip


@router.post(
    "/{work_order_id}/verify",
    response_model=s.BeforeAfter,
    summary="Squad leader's re-check: passed (verified) or not (rework, reason required)",
)
def verify(
    work_order_id: WorkOrderId, body: s.VerifyIn, actor: Leader, ctx: Ctx,
    request: Request, key: IdempotencyKey = None,
) -> Response:  # fmt: skip
    require_leader(actor)

    def action(session):
        wo.verify(
            session, actor=actor, work_order_id=work_order_id, passed=body.passed,
            note=body.note, rules=ctx.rules, now=ctx.now(),
        )  # fmt: skip
        return _before_after(session, actor, work_order_id)

    return write(ctx, request, scope=user_scope(actor.user_id), key=key, body=body, action=action)


def _before_after(session, actor, work_order_id: int) -> s.BeforeAfter:
    order, case = wo.get_order(session, actor=actor, work_order_id=work_order_id)
    alerts = {a.alert_id: a for a in case_reads.alerts_of(session, case_id=case.id)}
    before, camera_after = [], []
    for f in evidence.case_files(session, case=case):
        if f.alert_id is None:
            continue
        alert = alerts.get(f.alert_id)
        seen_clear = f.kind == "after_frame"  # the camera's picture of the cleared frontage
        (camera_after if seen_clear else before).append(
            s.BeforeAfterFile(
                id=f.id,
                kind=f.kind,
                content_type=f.content_type,
                sha256=f.sha256,
                url=file_url(f.id),
                time=(alert.episode_ended_at if seen_clear else alert.threshold_crossed_at)
                if alert
                else None,
                source=alert.camera_code if alert else "camera",
            )  # fmt: skip
        )
    after = camera_after
    for p in order_photos(session, work_order_id=order.id):
        officer = session.get(User, p.uploaded_by)
        after.append(
            s.BeforeAfterFile(
                id=p.id,
                kind="rectification",
                content_type=p.content_type,
                sha256=p.sha256,
                url=photo_url(p.id),
                time=p.captured_at or p.uploaded_at,
                latitude=p.latitude,
                longitude=p.longitude,
                source=officer.display_name if officer else "",
            )  # fmt: skip
        )
    return s.BeforeAfter(
        work_order_id=order.id, case_id=case.id, case_number=case.number, case_state=case.state,
        merchant=merchant_brief(case.merchant), place=case.place, before=before, after=after,
        rectified_at=case.rectified_at,
    )  # fmt: skip


@router.get(
    "/{work_order_id}/before-after",
    response_model=s.BeforeAfter,
    summary="The alert's evidence beside the after-correction photos, for the verifier",
)
def before_after(work_order_id: WorkOrderId, actor: CurrentActor, ctx: Ctx) -> s.BeforeAfter:
    with ctx.db.session() as session:
        return _before_after(session, actor, work_order_id)
