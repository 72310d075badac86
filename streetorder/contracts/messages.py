"""Versioned messages exchanged between edge nodes and the platform.

Every message carries ``kind`` and ``v`` (the schema version). Both sides import this module;
``docs/schemas/*.json`` is generated from it and a test fails when the two drift apart.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Annotated, Literal, Union

from pydantic import (
    AwareDatetime,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from streetorder.contracts.camera import CameraConfig, Identifier, Strict, check_unique_camera_ids
from streetorder.errors import ContractError

SCHEMA_VERSION = 1
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
#: A box in pixels: x1, y1, x2, y2.
Box = tuple[float, float, float, float]


class ModelInfo(Strict):
    name: str = Field(min_length=1)
    version: str = Field(min_length=1)


class ModelRef(Strict):
    """A model version kept by the platform, as a node fetches it (docs/MODELS_ROLLOUT.md)."""

    name: str = Field(min_length=1, max_length=100)
    version: str = Field(min_length=1, max_length=100)
    sha256: Sha256 = Field(description="The node refuses a download whose bytes differ.")
    size_bytes: int = Field(ge=1)
    url: str = Field(
        min_length=1,
        max_length=500,
        description="Download address; a path (/api/v1/...) is taken from the node's platform.url.",
    )


class ModelAssignment(Strict):
    """Which model versions a node runs: one for the node, others for single cameras (canaries).
    Unassigned cameras run ``node``; with neither, the node's own configured model."""

    node: ModelRef | None = None
    cameras: dict[Identifier, ModelRef] = Field(
        default_factory=dict, description="Camera id → its own version (a canary)."
    )

    def for_camera(self, camera_id: str) -> ModelRef | None:
        return self.cameras.get(camera_id, self.node)


class DetectedObject(Strict):
    """One tracked object that is part of the episode, in source-frame pixels."""

    class_name: str
    score: float = Field(ge=0, le=1)
    box_xyxy: tuple[float, float, float, float]
    track_id: int | None = None


#: An after-frame's file name ends so (``<alert_id>_after.jpg``): the platform can tell one that
#: arrives before its episode end (to retry) from a file that belongs to no message.
AFTER_FRAME_SUFFIX = "_after.jpg"


class EvidenceRef(Strict):
    """A file made at the edge; the platform checks the bytes it receives against ``sha256``."""

    kind: Literal["clean_frame", "annotated_frame", "crop", "clip", "after_frame"] = Field(
        description="after_frame: the frontage as the camera saw it clear (episode ends only)."
    )
    filename: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.-]+$")
    content_type: str
    size_bytes: int = Field(ge=0)
    sha256: Sha256
    persons: tuple[Box, ...] | None = Field(
        None,
        max_length=500,
        description=(
            "Images only: the box (x1, y1, x2, y2 in this file's pixels) of every person the "
            "detector saw in it; public renditions blur them (bystanders' privacy). None: not "
            "known (a video, or an edge from before this field; a public rendition then blurs "
            "all but the alert's objects). Added later with a default: older alerts decode."
        ),
    )


class Alert(Strict):
    """A violation episode crossed its dwell threshold in a shop's frontage zone."""

    kind: Literal["alert"] = "alert"
    v: Literal[1] = SCHEMA_VERSION
    alert_id: Identifier = Field(description="Stable id: the same episode always has the same id.")
    node_id: Identifier
    camera_id: Identifier
    zone_id: Identifier
    shop_id: Identifier
    episode_started_at: AwareDatetime
    threshold_crossed_at: AwareDatetime
    dwell_seconds: float = Field(ge=0)
    reminder: int = Field(0, ge=0, description="0 for the first alert of an episode, then 1, 2...")
    objects: tuple[DetectedObject, ...] = Field(min_length=1)
    frame_size: tuple[int, int] = Field(description="Width, height of the source frame.")
    evidence: tuple[EvidenceRef, ...] = ()
    model: ModelInfo
    created_at: AwareDatetime


class EpisodeEnd(Strict):
    """The zone of an alerted episode has been clear long enough: the camera sees it corrected.

    ``evidence`` (the after-frame) was added later with a default: older episode ends decode.
    """

    kind: Literal["episode_end"] = "episode_end"
    v: Literal[1] = SCHEMA_VERSION
    alert_id: Identifier = Field(description="The first alert of the episode that ended.")
    node_id: Identifier
    camera_id: Identifier
    zone_id: Identifier
    shop_id: Identifier
    ended_at: AwareDatetime
    clear_seconds: float = Field(ge=0)
    created_at: AwareDatetime
    evidence: tuple[EvidenceRef, ...] = Field(
        (),
        description=(
            "The after-frame (kind after_frame), uploaded like alert evidence under the alert "
            "id: the camera's picture of the cleared frontage."
        ),
        max_length=4,
    )


class CameraStats(Strict):
    """One camera's health in a heartbeat. ``since``, ``reconnects`` and the states
    ``connecting``, ``stalled`` and ``frozen`` were added later with defaults: older heartbeats
    still decode (meanings in docs/EDGE_NODE.md, "Camera states")."""

    camera_id: Identifier
    state: Literal[
        "connecting", "online", "stalled", "frozen", "reconnecting", "offline", "disabled"
    ]
    since: AwareDatetime | None = Field(None, description="When the camera entered this state.")
    analysed_fps: float = Field(ge=0)
    lag_seconds: float = Field(ge=0)
    detections: int = Field(ge=0, description="Detections in the last frame analysed.")
    last_frame_at: AwareDatetime | None = None
    error: str | None = Field(None, description="Why the camera is not online.")
    reconnects: int = Field(0, ge=0, description="Reconnections since the node started.")
    model: ModelInfo | None = Field(
        None, description="The model version this camera runs (added later with a default)."
    )


class Heartbeat(Strict):
    """Periodic health of an edge node."""

    kind: Literal["heartbeat"] = "heartbeat"
    v: Literal[1] = SCHEMA_VERSION
    node_id: Identifier
    sent_at: AwareDatetime
    uptime_seconds: float = Field(ge=0)
    model: ModelInfo
    queue_length: int = Field(ge=0, description="Alerts waiting in the store-and-forward queue.")
    queue_dropped: int = Field(
        0, ge=0, description="Messages ever dropped because the queue was full (oldest first)."
    )
    queue_awaiting_receipt: int = Field(
        0,
        ge=0,
        description=(
            "Of queue_length: published (PUBACK) but no platform receipt yet; re-sent with "
            "backoff until one comes. Added later with a default."
        ),
    )
    config_revision: int = Field(ge=0)
    cameras: tuple[CameraStats, ...] = ()


class Availability(Strict):
    """Retained on the status topic; the broker publishes ``offline`` as the node's Last Will."""

    kind: Literal["availability"] = "availability"
    v: Literal[1] = SCHEMA_VERSION
    node_id: Identifier
    state: Literal["online", "offline"]
    at: AwareDatetime | None = None


class ConfigPush(Strict):
    """Cameras and zones for one node, pushed by the platform (retained)."""

    kind: Literal["config"] = "config"
    v: Literal[1] = SCHEMA_VERSION
    node_id: Identifier
    revision: int = Field(ge=1, description="Monotonic; the edge ignores older revisions.")
    cameras: tuple[CameraConfig, ...]
    issued_at: AwareDatetime
    models: ModelAssignment = Field(
        ModelAssignment(),
        description="Model versions delivered by the platform (added later with a default: "
        "none, the node runs its own model).",
    )

    @field_validator("cameras")
    @classmethod
    def _unique_cameras(cls, value: tuple[CameraConfig, ...]) -> tuple[CameraConfig, ...]:
        return check_unique_camera_ids(value)

    @model_validator(mode="after")
    def _models_for_known_cameras(self) -> ConfigPush:
        known = {c.id for c in self.cameras}
        stray = sorted(set(self.models.cameras) - known)
        if stray:
            raise ValueError(f"models.cameras.{stray[0]}: no such camera in this config")
        return self


class ConfigAck(Strict):
    """The edge's answer to a config push: applied, or refused with the reason."""

    kind: Literal["config_ack"] = "config_ack"
    v: Literal[1] = SCHEMA_VERSION
    node_id: Identifier
    revision: int = Field(ge=0)
    accepted: bool
    reason: str = ""
    active_revision: int = Field(ge=0, description="The revision the node runs after this push.")
    at: AwareDatetime


class ReceiptEntry(Strict):
    """What the platform did with one alert or episode end, after its transaction committed."""

    message: Literal["alert", "episode_end"] = Field(description="The kind of message receipted.")
    alert_id: Identifier
    outcome: Literal["stored", "duplicate", "rejected", "retry"] = Field(
        description=(
            "stored: first copy committed; duplicate: already stored (the edge clears it too); "
            "rejected: refused for good (reason), the edge stops re-sending it; retry: not "
            "stored yet (an episode end before its alert), the edge re-sends it later."
        )
    )
    reason: str = Field("", max_length=500)


class Receipt(Strict):
    """The platform's end-to-end receipt: the edge keeps a message until one names it."""

    kind: Literal["receipt"] = "receipt"
    v: Literal[1] = SCHEMA_VERSION
    node_id: Identifier
    entries: tuple[ReceiptEntry, ...] = Field(min_length=1)
    at: AwareDatetime


Message = Annotated[
    Union[Alert, EpisodeEnd, Heartbeat, Availability, ConfigPush, ConfigAck, Receipt],
    Field(discriminator="kind"),
]
MESSAGE_TYPES: tuple[type[Strict], ...] = (
    Alert,
    EpisodeEnd,
    Heartbeat,
    Availability,
    ConfigPush,
    ConfigAck,
    Receipt,
)
_message_adapter: TypeAdapter[Message] = TypeAdapter(Message)


def encode(message: Strict) -> bytes:
    """Serialise a message to compact UTF-8 JSON."""
    return message.model_dump_json(exclude_none=False).encode("utf-8")


def decode(payload: bytes | str) -> Message:
    """Parse and validate any message; raise :class:`ContractError` saying why it is refused."""
    try:
        raw = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ContractError(f"not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise ContractError("not a JSON object")
    kind, version = raw.get("kind"), raw.get("v")
    known = {t.model_fields["kind"].default for t in MESSAGE_TYPES}
    if kind not in known:
        raise ContractError(f"unknown message kind {kind!r}")
    if version != SCHEMA_VERSION:
        raise ContractError(f"unsupported schema version {version!r} for {kind} (want 1)")
    try:
        return _message_adapter.validate_python(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:]) or kind
        raise ContractError(f"invalid {kind}: {where}: {first['msg']}") from None


def stable_alert_id(
    node_id: str,
    camera_id: str,
    zone_id: str,
    started_at: datetime,
    n: int,
    episode_key: str = "",
) -> str:
    """The same episode (and reminder number) always yields the same id, across restarts.

    ``episode_key`` tells apart episodes that share node, camera, zone and start time (a
    random nonce stored with the episode, or the footage's digest: ``edge/episode_id.py``).
    Empty only for episodes stored before keys existed: their ids stay what they were.
    """
    key = f"{node_id}|{camera_id}|{zone_id}|{started_at.isoformat()}|{n}"
    if episode_key:
        key += f"|{episode_key}"
    return "al-" + hashlib.sha256(key.encode()).hexdigest()[:24]
