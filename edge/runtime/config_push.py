"""Config pushed by the platform: decide (pure) whether to apply it, and keep the accepted one.

``decide`` never touches the running node: it validates the payload against the contract and
the node, and says *apply*, *refuse* (with the reason, acknowledged) or *ignore* (the retained
copy of what already runs, or an empty retained message). ``ActiveConfigStore`` persists the
accepted cameras atomically so a restart keeps them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from streetorder.contracts import CameraConfig, ConfigAck, ConfigPush, ModelAssignment, decode
from streetorder.edge.detect.class_map import zone_class_problem
from streetorder.errors import ContractError

Action = Literal["apply", "refuse", "ignore"]
#: Extra node-specific checks; raise ValueError with a sentence to refuse the push.
Check = Callable[[ConfigPush], None]


@dataclass(frozen=True)
class Decision:
    action: Action
    push: ConfigPush | None = None
    ack: ConfigAck | None = None
    reason: str = ""


def decide(
    payload: bytes,
    *,
    node_id: str,
    active_revision: int,
    now: datetime,
    check: Check | None = None,
) -> Decision:
    """What to do with a payload received on ``streetorder/v1/{node}/config``."""
    if not payload.strip():
        return Decision("ignore", reason="empty payload (retained config cleared)")

    def refuse(revision: int, reason: str) -> Decision:
        ack = ConfigAck(
            node_id=node_id,
            revision=revision,
            accepted=False,
            reason=reason,
            active_revision=active_revision,
            at=now,
        )
        return Decision("refuse", ack=ack, reason=reason)

    try:
        message = decode(payload)
    except ContractError as exc:
        return refuse(_revision_of(payload), str(exc))
    if not isinstance(message, ConfigPush):
        return refuse(0, f"expected a config message, got {message.kind!r}")
    if message.node_id != node_id:
        return refuse(message.revision, f"config is for node {message.node_id!r}, not {node_id!r}")
    if message.revision == active_revision:
        return Decision("ignore", push=message, reason=f"revision {active_revision} already runs")
    if message.revision < active_revision:
        return refuse(
            message.revision,
            f"revision {message.revision} is older than the active revision {active_revision}",
        )
    if check is not None:
        try:
            check(message)
        except ValueError as exc:
            return refuse(message.revision, str(exc))
    ack = ConfigAck(
        node_id=node_id,
        revision=message.revision,
        accepted=True,
        active_revision=message.revision,
        at=now,
    )
    return Decision("apply", push=message, ack=ack)


def check_push_classes(
    push: ConfigPush, names: tuple[str, ...], model_classes: tuple[str, ...] = ()
) -> None:
    """A ``Check``: refuse a push whose zones ask for a class the model does not report
    (``names``: after ``model.class_map``; ``model_classes``: before)."""
    problem = zone_class_problem(push.cameras, names, model_classes or names)
    if problem:
        raise ValueError(f"config revision {push.revision}: {problem}")


def _revision_of(payload: bytes) -> int:
    """The revision of an invalid push, if one can be read, for the refusal's ack."""
    try:
        raw = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return 0
    revision = raw.get("revision") if isinstance(raw, dict) else None
    return revision if isinstance(revision, int) and revision >= 0 else 0


@dataclass(frozen=True)
class ActiveConfig:
    revision: int
    cameras: tuple[CameraConfig, ...]
    models: ModelAssignment = ModelAssignment()


class ActiveConfigStore:
    """The last accepted push, in ``{storage}/active_config.json`` (written atomically)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self, node_id: str) -> ActiveConfig | None:
        """The stored config, or None when there is none (or it belongs to another node)."""
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            push = ConfigPush.model_validate_json(raw)
        except ValidationError as exc:
            reason = exc.errors()[0]["msg"]
            raise ContractError(f"{self.path}: stored config is invalid: {reason}") from None
        if push.node_id != node_id:
            return None
        return ActiveConfig(push.revision, push.cameras, push.models)

    def save(self, push: ConfigPush) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(push.model_dump_json(indent=2))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
