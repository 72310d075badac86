"""Message contracts shared by every process: one schema, versioned, used by both sides."""

from streetorder.contracts.camera import CameraConfig, CameraLocation, ZoneConfig, ZoneRules
from streetorder.contracts.messages import (
    MESSAGE_TYPES,
    SCHEMA_VERSION,
    Alert,
    Availability,
    CameraStats,
    ConfigAck,
    ConfigPush,
    DetectedObject,
    EpisodeEnd,
    EvidenceRef,
    Heartbeat,
    Message,
    ModelInfo,
    decode,
    encode,
    stable_alert_id,
)

__all__ = [
    "MESSAGE_TYPES",
    "SCHEMA_VERSION",
    "Alert",
    "Availability",
    "CameraConfig",
    "CameraLocation",
    "CameraStats",
    "ConfigAck",
    "ConfigPush",
    "DetectedObject",
    "EpisodeEnd",
    "EvidenceRef",
    "Heartbeat",
    "Message",
    "ModelInfo",
    "ZoneConfig",
    "ZoneRules",
    "decode",
    "encode",
    "stable_alert_id",
]
