"""Zone editor (admin): draw frontage polygons on a camera's latest frame, bind, save and push."""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError

from streetorder.contracts.camera import ZoneRules
from streetorder.i18n import reason_text, translator
from streetorder.platform.db import Camera, EdgeNode
from streetorder.platform.domain.errors import DomainError
from streetorder.platform.services import camera_reads
from streetorder.platform.web import zone_masks, zone_sync
from streetorder.platform.web.auth import ADMIN, Viewer, require, require_csrf
from streetorder.platform.web.camera_health import camera_health
from streetorder.platform.web.context import ConsoleContext, get_context
from streetorder.platform.web.render import language_of, render
from streetorder.platform.web.views import Translate, label

log = logging.getLogger(__name__)
router = APIRouter()
Ctx = Annotated[ConsoleContext, Depends(get_context)]
Admin = Annotated[Viewer, Depends(require(*ADMIN))]
MERCHANT_CHOICES = 5000


class ZoneIn(BaseModel):
    code: str = Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    shop_id: str = Field(min_length=1, max_length=64)
    name: str = Field("", max_length=200)
    polygon: list[tuple[float, float]] = Field(min_length=3)
    rules: ZoneRules = ZoneRules()


class ZonesIn(BaseModel):
    zones: list[ZoneIn] = Field(max_length=200)


class ReferenceIn(BaseModel):
    """``now`` (the frontage is clear), ``at`` HH:MM today/tomorrow, or ``clear``."""

    when: Literal["now", "at", "clear"]
    time: str | None = Field(None, pattern=r"^\d{2}:\d{2}$")
    day: Literal["today", "tomorrow"] = "today"


def _script_json(value: Any) -> str:
    """JSON safe to embed in a ``<script>`` element."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _push_status(session, node: EdgeNode) -> dict[str, Any]:
    record = camera_reads.latest_push(session, node_id=node.id)
    status: dict[str, Any] = {
        "node": node.code,
        "config_revision": node.config_revision,
        "acked_revision": node.acked_revision,
        "availability": node.availability,
        "revision": None,
        "published": None,
        "ack_accepted": None,
        "ack_reason": None,
        "acked_at": None,
    }
    if record is not None:
        status.update(
            revision=record.revision,
            published=record.published,
            ack_accepted=record.ack_accepted,
            ack_reason=record.ack_reason,
            acked_at=record.acked_at.isoformat() if record.acked_at else None,
        )
    return status


def push_text(status: dict[str, Any], t: Translate) -> str:
    if status["revision"] is None:
        return t("editor.never_pushed")
    rev, node = status["revision"], status["node"]
    if status["ack_accepted"] is True:
        return t("editor.applied", node=node, revision=rev)
    if status["ack_accepted"] is False:
        return t("editor.refused", node=node, revision=rev, reason=status["ack_reason"])
    if not status["published"]:
        return t("editor.not_published", revision=rev)
    return t("editor.pushed", revision=rev)


@router.get("/zones", response_class=HTMLResponse)
def camera_list(request: Request, ctx: Ctx, viewer: Admin):
    t = translator(language_of(viewer))
    with ctx.db.session() as session:
        zone_counts = camera_reads.zone_counts(session)
        cameras = [
            {
                "id": cam.id,
                "node": cam.node.code,
                "code": cam.code,
                "address": cam.address,
                "zones": zone_counts.get(cam.id, 0),
                "revision": cam.node.config_revision,
                "acked": cam.node.acked_revision,
                "health": camera_health(
                    cam.node.last_heartbeat, cam.node.availability, cam.code, ctx.tz, t.language
                ),
            }
            for cam in camera_reads.cameras(session)
        ]
    for cam in cameras:
        cam["state_label"] = label(t, "camera_state", cam["health"]["state"])
    return render(ctx, request, "zones.html", viewer, nav="zones", cameras=cameras)


@router.get("/zones/{camera_id}", response_class=HTMLResponse)
def zone_editor(request: Request, ctx: Ctx, viewer: Admin, camera_id: int):
    t = translator(language_of(viewer))
    with ctx.db.session() as session:
        camera = session.get(Camera, camera_id)
        if camera is None:
            return Response("no such camera", status_code=404)
        zones = [
            {
                "code": z.code,
                "name": z.name,
                "shop_id": z.merchant.shop_id,
                "polygon": [list(p) for p in z.polygon],
                "rules": z.rules,
            }
            for z in camera.zones
        ]
        merchants = [
            {"shop_id": m.shop_id, "name": m.name, "address": m.address}
            for m in camera_reads.merchant_choices(session, limit=MERCHANT_CHOICES)
        ]
        frame = camera_reads.latest_clean_frame(session, camera=camera)
        status = _push_status(session, camera.node)
        masks = zone_masks.masks(session, camera, ctx.tz)
        reference = zone_masks.reference_text(session, camera, ctx.tz, t)
        cam = {
            "id": camera.id,
            "node": camera.node.code,
            "code": camera.code,
            "address": camera.address,
        }
    frame_url = f"{ctx.prefix}/evidence/{frame.alert_id}/{frame.filename}" if frame else None
    note = t("editor.latest_frame", alert=frame.alert_id) if frame else t("editor.no_frame")
    return render(
        ctx, request, "zone_editor.html", viewer, nav="zones", cam=cam, merchants=merchants,
        zones_json=_script_json(zones),
        merchant_names_json=_script_json({m["shop_id"]: m["name"] for m in merchants}),
        frame_url=frame_url, frame_note=note,
        push_text=push_text(status, t), masks_json=_script_json(masks), masks=masks,
        reference_text=reference, tz_name=str(ctx.tz),
    )  # fmt: skip


@router.post("/zones/{camera_id}")
async def save_zones(request: Request, ctx: Ctx, viewer: Admin, camera_id: int) -> JSONResponse:
    """Replace the camera's zones with the drawn ones, then push a new config revision."""
    await require_csrf(request, viewer)
    try:
        body = ZonesIn.model_validate_json(await request.body())
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return JSONResponse({"detail": f"{where}: {first['msg']}"}, status_code=422)
    try:
        revision, node_code = zone_sync.save_and_push(
            ctx, camera_id=camera_id, zones=[z.model_dump() for z in body.zones]
        )
    except DomainError as exc:
        return JSONResponse(
            {"detail": reason_text(exc, language_of(viewer))}, status_code=exc.status
        )
    return JSONResponse({"revision": revision, "node": node_code})


@router.get("/zones/{camera_id}/push")
def push_status(ctx: Ctx, viewer: Admin, camera_id: int) -> JSONResponse:
    t = translator(language_of(viewer))
    with ctx.db.session() as session:
        camera = session.get(Camera, camera_id)
        if camera is None:
            return JSONResponse({"detail": "no such camera"}, status_code=404)
        status = _push_status(session, camera.node)
        status["reference"] = zone_masks.reference_text(session, camera, ctx.tz, t)
    status["text"] = push_text(status, t)
    return JSONResponse(status)


@router.post("/zones/{camera_id}/masks/{code}/remove")
async def remove_mask(
    request: Request, ctx: Ctx, viewer: Admin, camera_id: int, code: str
) -> JSONResponse:
    """Stop ignoring one region (a reviewer's fixed structure); pushes a new config revision."""
    await require_csrf(request, viewer)
    try:
        revision = zone_masks.remove_mask(ctx, camera_id=camera_id, code=code, actor=viewer.actor)
    except DomainError as exc:
        return JSONResponse(
            {"detail": reason_text(exc, language_of(viewer))}, status_code=exc.status
        )
    return JSONResponse({"revision": revision, "removed": code})


@router.post("/zones/{camera_id}/reference")
async def set_reference(request: Request, ctx: Ctx, viewer: Admin, camera_id: int) -> JSONResponse:
    """Set the scene reference (now, or HH:MM today/tomorrow) or clear it; pushes the config."""
    await require_csrf(request, viewer)
    try:
        body = ReferenceIn.model_validate_json(await request.body())
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return JSONResponse({"detail": f"{where}: {first['msg']}"}, status_code=422)
    if body.when == "at" and body.time is None:
        detail = translator(language_of(viewer))("zones.give_time")
        return JSONResponse({"detail": detail}, status_code=422)
    try:
        at = None  # clear
        if body.when == "now":
            at = ctx.now()
        elif body.when == "at":
            at = zone_masks.local_moment(ctx.now(), ctx.tz, body.time or "", body.day)
        revision, text = zone_masks.set_reference(
            ctx, camera_id=camera_id, actor=viewer.actor, at=at, t=translator(language_of(viewer))
        )
    except DomainError as exc:
        return JSONResponse(
            {"detail": reason_text(exc, language_of(viewer))}, status_code=exc.status
        )
    return JSONResponse({"revision": revision, "reference": text})
