"""Config push decisions (pure) and the persisted active config."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from streetorder.contracts import CameraConfig, ConfigPush, encode
from streetorder.edge.runtime.config_push import ActiveConfigStore, decide
from streetorder.errors import ContractError

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
ZONE = {"id": "z1", "shop_id": "s1", "polygon": [[0, 0], [1, 0], [1, 1]]}


def push(revision: int, node: str = "n1", **camera_overrides) -> dict:
    cam = {"id": "c1", "source": "rtsp://cam/1", "zones": [ZONE], **camera_overrides}
    return {
        "kind": "config",
        "v": 1,
        "node_id": node,
        "revision": revision,
        "cameras": [cam],
        "issued_at": NOW.isoformat(),
    }


def run(payload: dict | bytes, active: int = 2, check=None):
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return decide(raw, node_id="n1", active_revision=active, now=NOW, check=check)


def test_a_newer_valid_push_is_applied_and_acknowledged() -> None:
    d = run(push(3))
    assert d.action == "apply" and d.push is not None and d.push.revision == 3
    assert d.ack is not None and d.ack.accepted and d.ack.active_revision == 3
    assert d.push.cameras[0].zones[0].shop_id == "s1"


@pytest.mark.parametrize(
    ("payload", "revision", "reason"),
    [
        (push(3, analysis_interval_seconds=0), 3, "analysis_interval_seconds"),
        (push(3, zones=[{**ZONE, "polygon": [[0, 0], [1, 0]]}]), 3, "at least 3 points"),
        (push(3, zones=[ZONE, ZONE]), 3, "zone id 'z1' is used twice"),
        (push(3, colour="red"), 3, "colour"),
        ({**push(3), "v": 2}, 3, "unsupported schema version"),
        (push(1), 1, "older than the active revision 2"),
        (push(3, node="n2"), 3, "for node 'n2'"),
        (b"[1, 2]", 0, "not a JSON object"),
        (b"\xff\xfe", 0, "not JSON"),
        ({"kind": "heartbeat"}, 0, "heartbeat"),
    ],
)
def test_invalid_pushes_are_refused_with_the_reason(
    payload: dict | bytes, revision: int, reason: str
) -> None:
    d = run(payload)
    assert d.action == "refuse" and d.push is None
    assert d.ack is not None and not d.ack.accepted
    assert d.ack.revision == revision and d.ack.active_revision == 2
    assert reason in d.ack.reason


def test_the_running_revision_and_empty_retained_payloads_are_ignored_silently() -> None:
    assert run(push(2)).action == "ignore" and run(push(2)).ack is None
    assert run(b"").action == "ignore"


def test_node_checks_can_refuse_a_valid_push() -> None:
    def no_rtsp(p: ConfigPush) -> None:
        if any(c.source.startswith("rtsp") for c in p.cameras):
            raise ValueError("cameras.c1.source: RTSP is not allowed here")

    d = run(push(3), check=no_rtsp)
    assert d.action == "refuse" and "RTSP is not allowed" in d.ack.reason  # type: ignore[union-attr]


def test_the_accepted_config_is_stored_atomically_and_read_back(tmp_path: Path) -> None:
    store = ActiveConfigStore(tmp_path / "active.json")
    assert store.load("n1") is None
    message = ConfigPush(
        node_id="n1",
        revision=4,
        cameras=(CameraConfig(id="c7", source="rtsp://x", zones=()),),
        issued_at=NOW,
    )
    store.save(message)
    loaded = store.load("n1")
    assert loaded is not None and loaded.revision == 4 and loaded.cameras == message.cameras
    assert store.load("another-node") is None
    assert not (tmp_path / "active.tmp").exists()
    (tmp_path / "active.json").write_text(
        encode(message).decode().replace('"revision":4', '"revision":-1')
    )
    with pytest.raises(ContractError, match="stored config is invalid"):
        store.load("n1")
