"""Assigning a model version (or rolling back) is a new config revision of the node: both in one
transaction; the caller publishes the push after commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from streetorder.contracts import ConfigPush
from streetorder.platform.db import ConfigPushRecord
from streetorder.platform.domain.roles import Actor
from streetorder.platform.services import edge_config, model_versions


def assign(
    session: Session, *, node_code: str, camera_code: str | None, version_id: int | None,
    actor: Actor, now: datetime,
) -> tuple[ConfigPushRecord, ConfigPush]:  # fmt: skip
    assignment = model_versions.assign(
        session, node_code=node_code, camera_code=camera_code, version_id=version_id,
        actor=actor, now=now,
    )  # fmt: skip
    record, push = edge_config.new_revision(session, node_code=node_code, now=now)
    assignment.config_revision = record.revision
    return record, push


def rollback(
    session: Session, *, node_code: str, camera_code: str | None, actor: Actor, now: datetime
) -> tuple[int | None, ConfigPushRecord, ConfigPush]:
    """Assign what the node or camera ran before (see ``model_versions.previous_version_id``)."""
    previous = model_versions.previous_version_id(
        session, node_code=node_code, camera_code=camera_code
    )
    record, push = assign(
        session, node_code=node_code, camera_code=camera_code, version_id=previous, actor=actor,
        now=now,
    )  # fmt: skip
    return previous, record, push
