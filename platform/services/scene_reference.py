"""A camera's explicit scene reference request: the node takes the first frame it analyses at or
after a moment (or a file on the node) as the clear frontage; set and cleared by an
administrator, carried to the node by a new config revision."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import ValidationError
from sqlalchemy.orm import Session

from streetorder.contracts import SceneReferenceSpec
from streetorder.i18n import Reason
from streetorder.platform.db import Camera
from streetorder.platform.domain.errors import Conflict, InvalidInput
from streetorder.platform.domain.roles import Actor
from streetorder.platform.services import edge_config


def request(
    session: Session, *, camera: Camera, actor: Actor, now: datetime,
    at: datetime | None = None, image: str | None = None,
) -> SceneReferenceSpec:  # fmt: skip
    """Ask the node for a reference taken at ``at`` (or from ``image``); pushes the config."""
    try:
        spec = SceneReferenceSpec(at=at, image=image)
    except ValidationError as exc:
        raise InvalidInput(exc.errors()[0]["msg"].removeprefix("Value error, ")) from None
    camera.reference_image = spec.image
    camera.reference_at = spec.at.astimezone(UTC) if spec.at is not None else None
    camera.reference_set_by, camera.reference_set_at = actor.name, now
    session.flush()
    edge_config.new_revision(session, node_code=camera.node.code, now=now)
    return spec


def clear(session: Session, *, camera: Camera, actor: Actor, now: datetime) -> None:
    """Back to the learned reference only; pushes the config."""
    if edge_config.reference_of(camera) is None:
        camera_name = f"{camera.node.code}/{camera.code}"
        raise Conflict(Reason("zones.no_reference_request", camera=camera_name))
    camera.reference_image = camera.reference_at = None
    camera.reference_set_by, camera.reference_set_at = actor.name, now
    session.flush()
    edge_config.new_revision(session, node_code=camera.node.code, now=now)
