"""Messages round-trip, and bad payloads are refused with the reason."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from streetorder.contracts import (
    Alert,
    Availability,
    ConfigPush,
    DetectedObject,
    EvidenceRef,
    ModelInfo,
    decode,
    encode,
    stable_alert_id,
    topics,
)
from streetorder.errors import ContractError

T0 = datetime(2026, 11, 22, 10, 0, tzinfo=timezone(timedelta(hours=8)))


def make_alert(**overrides) -> Alert:
    fields = dict(
        alert_id=stable_alert_id("edge-01", "cam-01", "z1", T0, 0),
        node_id="edge-01",
        camera_id="cam-01",
        zone_id="z1",
        shop_id="shop-001",
        episode_started_at=T0,
        threshold_crossed_at=T0 + timedelta(minutes=5),
        dwell_seconds=300.0,
        objects=(
            DetectedObject(class_name="goods", score=0.9, box_xyxy=(1, 2, 30, 40), track_id=7),
        ),
        frame_size=(1920, 1080),
        evidence=(
            EvidenceRef(
                kind="clean_frame",
                filename="clean.jpg",
                content_type="image/jpeg",
                size_bytes=10,
                sha256="a" * 64,
            ),
        ),
        model=ModelInfo(name="streetorder-det", version="1.0.0"),
        created_at=T0 + timedelta(minutes=5),
    )
    fields.update(overrides)
    return Alert(**fields)


def test_alert_round_trips_through_bytes() -> None:
    alert = make_alert()
    assert decode(encode(alert)) == alert


def test_stable_alert_id_is_deterministic_and_distinct() -> None:
    a = stable_alert_id("edge-01", "cam-01", "z1", T0, 0)
    assert a == stable_alert_id("edge-01", "cam-01", "z1", T0, 0)
    assert a != stable_alert_id("edge-01", "cam-01", "z1", T0, 1)
    assert a != stable_alert_id("edge-01", "cam-01", "z2", T0, 0)
    # episodes that share node, camera, zone and start differ by their episode key
    keyed = stable_alert_id("edge-01", "cam-01", "z1", T0, 0, "f00d")
    assert keyed == stable_alert_id("edge-01", "cam-01", "z1", T0, 0, "f00d")
    assert len({a, keyed, stable_alert_id("edge-01", "cam-01", "z1", T0, 0, "beef")}) == 3


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"\xff\xfe", "not JSON"),
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"kind": "launch", "v": 1}', "unknown message kind"),
        (b'{"kind": "alert", "v": 2}', "unsupported schema version 2"),
        (b'{"kind": "alert", "v": 1}', "invalid alert"),
    ],
)
def test_bad_payloads_are_refused_with_a_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(ContractError, match=reason):
        decode(payload)


def test_naive_timestamps_and_unknown_fields_are_refused() -> None:
    raw = json.loads(encode(make_alert()))
    raw["created_at"] = "2026-11-22T10:00:00"
    with pytest.raises(ContractError, match="created_at"):
        decode(json.dumps(raw))
    raw = json.loads(encode(make_alert()))
    raw["surprise"] = 1
    with pytest.raises(ContractError, match="surprise"):
        decode(json.dumps(raw))


def test_bad_hash_is_refused() -> None:
    raw = json.loads(encode(make_alert()))
    raw["evidence"][0]["sha256"] = "xyz"
    with pytest.raises(ContractError, match="sha256"):
        decode(json.dumps(raw))


def test_config_push_refuses_duplicate_cameras_and_bad_polygons() -> None:
    camera = {
        "id": "cam-01",
        "source": "a.mp4",
        "zones": [{"id": "z1", "shop_id": "s1", "polygon": [[0, 0], [1, 0], [1, 1]]}],
    }
    base = {
        "kind": "config",
        "v": 1,
        "node_id": "n1",
        "revision": 3,
        "issued_at": "2026-11-22T10:00:00+08:00",
        "cameras": [camera],
    }
    assert isinstance(decode(json.dumps(base)), ConfigPush)
    with pytest.raises(ContractError, match="used twice"):
        decode(json.dumps({**base, "cameras": [camera, camera]}))
    bad_zone = {
        **camera,
        "zones": [{"id": "z1", "shop_id": "s1", "polygon": [[0, 0], [2, 0], [1, 1]]}],
    }
    with pytest.raises(ContractError, match="outside 0..1"):
        decode(json.dumps({**base, "cameras": [bad_zone]}))


def test_topics_follow_the_documented_scheme() -> None:
    assert topics.alerts("edge-01") == "streetorder/v1/edge-01/alerts"
    assert topics.status("edge-01") == "streetorder/v1/edge-01/status"
    assert topics.config_ack("edge-01") == "streetorder/v1/edge-01/config/ack"
    assert topics.shared("platform", topics.ALL_ALERTS) == "$share/platform/streetorder/v1/+/alerts"
    assert topics.node_of("streetorder/v1/edge-07/alerts") == "edge-07"
    with pytest.raises(ValueError):
        topics.node_of("other/v1/x/alerts")


def test_availability_is_a_message_too() -> None:
    msg = Availability(node_id="edge-01", state="offline")
    assert decode(encode(msg)) == msg


def test_an_episode_end_without_an_after_frame_still_decodes() -> None:
    """``EpisodeEnd.evidence`` came later (v1, additive): older edges' messages stay valid."""
    old = {
        "kind": "episode_end", "v": 1, "alert_id": "a-1", "node_id": "edge-01",
        "camera_id": "cam-01", "zone_id": "z1", "shop_id": "shop-001",
        "ended_at": "2026-11-21T06:05:00+00:00", "clear_seconds": 60.0,
        "created_at": "2026-11-21T06:05:01+00:00",
    }  # fmt: skip
    message = decode(json.dumps(old).encode())
    assert message.kind == "episode_end" and message.evidence == ()
    after = {"kind": "after_frame", "filename": "a-1_after.jpg", "content_type": "image/jpeg",
             "size_bytes": 10, "sha256": "0" * 64}  # fmt: skip
    assert decode(json.dumps({**old, "evidence": [after]}).encode()).evidence[0].kind == (
        "after_frame"
    )
