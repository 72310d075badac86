"""Model versions in the contracts: the push carries the assignment, heartbeats the running one;
messages from before these fields still decode."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from streetorder.contracts import ConfigPush, Heartbeat, ModelRef, decode, encode
from streetorder.errors import ContractError

NOW = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)
REF = {"name": "det", "version": "2", "sha256": "a" * 64, "size_bytes": 10, "url": "/m/2"}
CAMERA = {"id": "c1", "source": "rtsp://x"}


def push(**extra) -> bytes:
    body = {"kind": "config", "v": 1, "node_id": "n1", "revision": 2, "cameras": [CAMERA],
            "issued_at": NOW.isoformat(), **extra}  # fmt: skip
    return json.dumps(body).encode()


def test_a_push_without_models_decodes_and_means_the_nodes_own_model() -> None:
    message = decode(push())
    assert isinstance(message, ConfigPush)
    assert message.models.node is None and message.models.for_camera("c1") is None


def test_a_camera_assignment_wins_over_the_node_one() -> None:
    other = {**REF, "version": "1"}
    message = decode(push(models={"node": other, "cameras": {"c1": REF}}))
    assert isinstance(message, ConfigPush)
    assert message.models.for_camera("c1") == ModelRef(**REF)
    assert message.models.for_camera("c9") == ModelRef(**other)
    assert decode(encode(message)) == message


@pytest.mark.parametrize(
    ("models", "reason"),
    [
        ({"cameras": {"c9": REF}}, "models.cameras.c9: no such camera"),
        ({"node": {**REF, "sha256": "xyz"}}, "sha256"),
    ],
)
def test_bad_assignments_are_refused_with_the_key(models: dict, reason: str) -> None:
    with pytest.raises(ContractError, match=reason):
        decode(push(models=models))


def test_an_older_heartbeat_decodes_and_a_newer_one_names_each_cameras_model() -> None:
    beat = {"kind": "heartbeat", "v": 1, "node_id": "n1", "sent_at": NOW.isoformat(),
            "uptime_seconds": 1, "model": {"name": "det", "version": "1"}, "queue_length": 0,
            "config_revision": 0,
            "cameras": [{"camera_id": "c1", "state": "online", "analysed_fps": 1,
                         "lag_seconds": 0, "detections": 0}]}  # fmt: skip
    old = decode(json.dumps(beat))
    assert isinstance(old, Heartbeat) and old.cameras[0].model is None
    beat["cameras"][0]["model"] = {"name": "det", "version": "2"}
    new = decode(json.dumps(beat))
    assert isinstance(new, Heartbeat) and new.cameras[0].model.version == "2"  # type: ignore[union-attr]
