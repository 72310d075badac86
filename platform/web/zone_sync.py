"""Save a camera's drawn zones through the registry services, then push the node's config.

The editor sends the camera's complete zone set; this turns it into create / update / delete
calls of ``services.registry`` and a new revision from ``services.edge_config``, published on
MQTT (retained) after the commit, as the platform does for any registry change.
"""

from __future__ import annotations

import logging
from typing import Any

from streetorder.contracts import encode, topics
from streetorder.i18n import Reason
from streetorder.platform.db import Camera
from streetorder.platform.domain.errors import Conflict, NotFound
from streetorder.platform.schemas.registry import ZoneCreate, ZoneUpdate
from streetorder.platform.services import case_reads, edge_config, registry
from streetorder.platform.web.context import ConsoleContext

log = logging.getLogger(__name__)


def save_and_push(
    ctx: ConsoleContext, *, camera_id: int, zones: list[dict[str, Any]]
) -> tuple[int, str]:
    """Replace the camera's zones; returns the pushed revision and the node code."""
    codes = [z["code"] for z in zones]
    if len(set(codes)) != len(codes):
        raise Conflict(Reason("zones.same_code"))
    now = ctx.now()
    with ctx.db.session() as session:
        camera = session.get(Camera, camera_id)
        if camera is None:
            raise NotFound(Reason("zones.camera_not_found", camera=camera_id))
        node_code, camera_code = camera.node.code, camera.code
        where = {"node_code": node_code, "camera_code": camera_code}
        existing = {z.code: z for z in camera.zones}
        for code, zone in existing.items():
            if code in codes:
                continue
            if case_reads.zone_has_cases(session, zone_id=zone.id):
                raise Conflict(Reason("zones.has_cases", zone=code))
            registry.delete_zone(session, **where, zone_code=code)
        for z in zones:
            if z["code"] in existing:
                update = ZoneUpdate(
                    shop_id=z["shop_id"], name=z["name"], polygon=z["polygon"], rules=z["rules"]
                )
                registry.update_zone(session, **where, zone_code=z["code"], data=update)
            else:
                registry.create_zone(session, **where, data=ZoneCreate(**z))
        session.expire_all()  # the node's cameras and zones are rebuilt from the database
        record, push = edge_config.new_revision(session, node_code=node_code, now=now)
        record_id = record.id
    publish(ctx, record_id, node_code, push)
    return push.revision, node_code


def publish(ctx: ConsoleContext, record_id: int, node_code: str, push: Any) -> bool:
    """Publish the pushed config (retained, QoS 1) with the host app's MQTT publisher."""
    publisher = ctx.publisher
    if publisher is None:
        log.warning("config revision %s for %s saved; no MQTT publisher", push.revision, node_code)
        return False
    ok = publisher.publish(topics.config(node_code), encode(push), qos=1, retain=True)
    if ok:
        with ctx.db.session() as session:
            edge_config.mark_published(session, record_id=record_id)
    return ok


def publish_pending(ctx: ConsoleContext) -> None:
    """After commit: publish each node's newest revision that has not gone out yet."""
    with ctx.db.session() as session:
        pending = edge_config.unpublished(session)
    for record_id, node_code, push in pending:
        publish(ctx, record_id, node_code, push)
