"""The zone editor's scene tools: a camera's ignore regions (shown, removed) and its scene
reference request ("now" or "at HH:MM today/tomorrow" in the city's time zone), each change
pushed to the node as a new config revision after the commit."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from streetorder.i18n import Reason
from streetorder.platform.db import Camera
from streetorder.platform.domain.errors import InvalidInput, NotFound
from streetorder.platform.domain.roles import Actor
from streetorder.platform.domain.workflow import format_local
from streetorder.platform.services import camera_reads, ignore_regions, scene_reference
from streetorder.platform.web import zone_sync
from streetorder.platform.web.context import ConsoleContext
from streetorder.platform.web.views import Names, Translate


def _camera(session: Session, camera_id: int) -> Camera:
    camera = session.get(Camera, camera_id)
    if camera is None:
        raise NotFound(Reason("zones.camera_not_found", camera=camera_id))
    return camera


def masks(session: Session, camera: Camera, tz: ZoneInfo) -> list[dict[str, Any]]:
    """The active ignore regions as the editor draws and lists them (who drew each by name)."""
    regions = ignore_regions.active(camera)
    names = Names.load(session, usernames=[r.created_by for r in regions])
    return [
        {
            "code": r.code,
            "box": list(r.box),
            "reason": r.reason,
            "alert_id": r.alert_id,
            "case_id": r.case_id,
            "created_by": names.of(None, r.created_by)["name"],
            "created_at": format_local(r.created_at, tz),
        }  # fmt: skip
        for r in regions
    ]


def reference_text(session: Session, camera: Camera, tz: ZoneInfo, t: Translate) -> str:
    """What the node is asked to take as its reference, and whether it has the request."""
    if camera.reference_at is None and camera.reference_image is None:
        return t("reference.none")
    if camera.reference_at is not None:
        what = t("reference.frame_at", at=format_local(camera.reference_at, tz))
    else:
        what = t("reference.image", image=camera.reference_image)
    when = format_local(camera.reference_set_at, tz) if camera.reference_set_at else ""
    who = Names.load(session, usernames=[camera.reference_set_by]).of(None, camera.reference_set_by)
    asked = t("reference.asked", what=what, who=who["name"], when=when)
    node = camera.node
    record = (
        camera_reads.first_push_since(session, node_id=node.id, since=camera.reference_set_at)
        if camera.reference_set_at is not None
        else None
    )
    if record is None:
        return asked + " " + t("reference.not_pushed")
    if not record.published and (node.acked_revision or 0) < record.revision:
        return asked + " " + t("editor.not_published", revision=record.revision)
    if (node.acked_revision or 0) >= record.revision:
        return asked + " " + t("reference.acked", node=node.code, revision=node.acked_revision)
    return asked + " " + t("editor.pushed", revision=record.revision)


def local_moment(now: datetime, tz: ZoneInfo, hhmm: str, day: Literal["today", "tomorrow"]):
    """``HH:MM`` today or tomorrow in the city's time zone; a moment already past is refused."""
    try:
        clock = time.fromisoformat(hhmm)
    except ValueError:
        raise InvalidInput(Reason("zones.bad_time", value=repr(hhmm))) from None
    date = now.astimezone(tz).date() + timedelta(days=1 if day == "tomorrow" else 0)
    moment = datetime.combine(date, clock, tzinfo=tz)
    if moment < now:
        raise InvalidInput(Reason("zones.time_passed", value=hhmm))
    return moment


def remove_mask(ctx: ConsoleContext, *, camera_id: int, code: str, actor: Actor) -> int:
    """Remove one ignore region; returns the pushed revision."""
    with ctx.db.session() as session:
        camera = _camera(session, camera_id)
        ignore_regions.remove(session, camera=camera, code=code, actor=actor, now=ctx.now())
        revision = camera.node.config_revision
    zone_sync.publish_pending(ctx)
    return revision


def set_reference(
    ctx: ConsoleContext, *, camera_id: int, actor: Actor, at: datetime | None, t: Translate
) -> tuple[int, str]:
    """Request the reference at ``at`` (None clears the request); the revision and the text."""
    now = ctx.now()
    with ctx.db.session() as session:
        camera = _camera(session, camera_id)
        if at is None:
            scene_reference.clear(session, camera=camera, actor=actor, now=now)
        else:
            scene_reference.request(session, camera=camera, actor=actor, now=now, at=at)
        revision = camera.node.config_revision
    zone_sync.publish_pending(ctx)
    with ctx.db.session() as session:
        return revision, reference_text(session, _camera(session, camera_id), ctx.tz, t)
