"""What the platform needs from an edge node's YAML: the node id, its token and its cameras.

The edge validates the whole file (``streetorder.edge.config``); seeding the platform from the
same file reads only these keys, validated with the shared camera contract, so neither part
imports the other.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from streetorder.config.loader import load_yaml
from streetorder.contracts.camera import CameraConfig, Identifier, check_unique_camera_ids


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class NodePlatformLink(_Lenient):
    token: str | None = None


class NodeRegistration(_Lenient):
    node_id: Identifier
    platform: NodePlatformLink = NodePlatformLink()
    cameras: tuple[CameraConfig, ...] = Field(min_length=1)

    @field_validator("cameras")
    @classmethod
    def _unique_cameras(cls, value: tuple[CameraConfig, ...]) -> tuple[CameraConfig, ...]:
        return check_unique_camera_ids(value)


def load_node_registration(path: str | Path) -> NodeRegistration:
    """Read an edge node YAML for the platform; errors name the file, the key and the reason."""
    return load_yaml(NodeRegistration, path)
