"""Model versions and their rollout, as the API shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from streetorder.platform.schemas.common import In, Out
from streetorder.platform.schemas.registry import Code


class ModelVersionPublic(Out):
    id: int
    name: str
    version: str
    sha256: str
    size_bytes: int
    classes: list[str] = Field(description="From the ONNX model's own metadata.")
    imgsz: list[int] = Field(description="Input height, width, from the ONNX model.")
    metrics: dict[str, Any] = Field(description="The model card's figures (manifest or eval).")
    uploaded_by: str
    uploaded_at: datetime
    download_url: str


class AssignmentIn(In):
    """Which version a node (no ``camera``) or one camera (a canary) is to run."""

    node: Code
    camera: Code | None = None
    version_id: int | None = Field(
        None, description="None: clear (a camera follows its node; a node runs its own model)."
    )


class RollbackIn(In):
    node: Code
    camera: Code | None = None


class AssignmentPublic(Out):
    node: str
    camera: str | None
    version_id: int | None
    config_revision: int = Field(description="The config revision that carries it to the node.")


class CameraRolloutPublic(Out):
    camera: str
    assigned: str = Field(description="Name and version, or empty: the node's own model.")
    assigned_id: int | None = Field(description="The camera's own version (canary), else null.")
    canary: bool
    running: str = Field(description="As the node's last heartbeat says; empty: unknown.")


class NodeRolloutPublic(Out):
    node: str
    availability: str
    assigned: str
    assigned_id: int | None = Field(description="The node's version; null: its own model.")
    running: str
    revision: int
    ack: str = Field(description="applied, refused, waiting, unpublished or none.")
    ack_reason: str
    cameras: list[CameraRolloutPublic]
