"""Reviewer verdicts become masks: rejecting an alert as a fixed structure adds its object's box
to the camera's ignore regions, pushed to the node on the real Mosquitto; the node's pipeline with
that config no longer alerts on the object, goods elsewhere still do. Admins list and remove
regions and set the scene reference through the JSON API."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from streetorder.config.common import BrokerConfig
from streetorder.contracts import Alert, CameraConfig, ConfigPush, decode, topics
from streetorder.edge.pipeline import CameraPipeline
from streetorder.platform.db import IgnoreRegionRecord
from streetorder.platform.domain.ignore_regions import FIXED_STRUCTURE
from streetorder.platform.domain.roles import SYSTEM
from streetorder.platform.ingest.mqtt import MqttPublisher
from streetorder.platform.services import cases, ignore_regions
from tests.edge.test_scene_reference import GOODS, POST, SIZE, T0, MislabellingDetector, street

pytestmark = pytest.mark.mqtt
ZONE = [[0.0, 0.35], [1.0, 0.35], [1.0, 1.0], [0.0, 1.0]]
#: The detector's mistake must pass the scene reference here: only the mask may stop it.
RULES = {"dwell_seconds": 20, "clear_seconds": 10, "grace_seconds": 5, "only_new_objects": False}


def retained_config(broker, node: str) -> ConfigPush:
    """What a node subscribing now receives on its config topic."""
    got: list[bytes] = []
    arrived = threading.Event()
    edge = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    edge.on_message = lambda c, u, m: (got.append(m.payload), arrived.set())
    edge.connect(broker.host, broker.port)
    edge.subscribe(topics.config(node), qos=1)
    edge.loop_start()
    try:
        assert arrived.wait(10), "no retained config"
    finally:
        edge.loop_stop()
        edge.disconnect()
    push = decode(got[-1])
    assert isinstance(push, ConfigPush)
    return push


def run_camera(tmp_path: Path, node: str, cam: CameraConfig, frames, start: int = 0) -> list:
    pipeline = CameraPipeline(
        node, cam, MislabellingDetector(), tmp_path / f"ev-{uuid.uuid4().hex[:6]}",
        "Asia/Shanghai", clip_before=0, clip_after=0, base_dir=tmp_path,
        episode_keys=lambda: uuid.uuid4().hex[:12],
    )  # fmt: skip
    out = []
    for i, frame in enumerate(frames):
        out.extend(pipeline.process(frame, T0 + timedelta(seconds=start + i)))
    return [m for m in out if isinstance(m, Alert)]


@pytest.fixture
def node_platform(platform_factory, mqtt_broker):
    node = f"fs-{uuid.uuid4().hex[:8]}"
    pub = MqttPublisher(BrokerConfig(host=mqtt_broker.host, port=mqtt_broker.port))
    p = platform_factory(node_code=node, publisher=pub)
    yield p, node
    tidy = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    tidy.connect(mqtt_broker.host, mqtt_broker.port)
    tidy.loop_start()
    tidy.publish(topics.config(node), b"", qos=1, retain=True).wait_for_publish(5)
    tidy.loop_stop()
    tidy.disconnect()
    pub.close()


def latest_revision(p, node: str) -> int:
    """The node's newest config revision, which has gone out on MQTT."""
    history = p.client.get(f"/api/v1/nodes/{node}/config", headers=p.login("admin")).json()
    assert history[0]["published"] is True
    return history[0]["revision"]


def camera_of(push: ConfigPush) -> CameraConfig:
    (cam,) = (c for c in push.cameras if c.id == "cam-01")
    return cam


def test_a_fixed_structure_rejection_masks_it_on_the_node(
    node_platform, mqtt_broker, tmp_path: Path
) -> None:
    p, node = node_platform
    admin = p.login("admin")
    r = p.client.patch(
        f"/api/v1/nodes/{node}/cameras/cam-01/zones/z1", headers=admin,
        json={"polygon": ZONE, "rules": RULES},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    before = camera_of(retained_config(mqtt_broker, node))
    assert before.ignore == () and before.reference is None

    # the node mislabels the sign post as a rack and alerts on it
    (alert,) = run_camera(tmp_path, node, before, [street()] * 40)
    assert [o.class_name for o in alert.objects] == ["rack"]
    p.deliver(alert)
    case = p.case_of(alert.alert_id)
    rejected = p.post("reviewer", f"/cases/{case['id']}/reject", {"reason": FIXED_STRUCTURE})
    assert rejected["state"] == "rejected"

    push = retained_config(mqtt_broker, node)
    assert push.revision == latest_revision(p, node)
    cam = camera_of(push)
    (region,) = cam.ignore
    assert region.alert_id == alert.alert_id and region.reason == FIXED_STRUCTURE
    w, h = SIZE
    x1, y1, x2, y2 = region.box  # the post's box, grown a little on every side
    assert x1 < POST[0] / w < POST[2] / w < x2 and y1 < POST[1] / h < POST[3] / h < y2
    assert x2 - x1 < 1.2 * (POST[2] - POST[0]) / w

    listed = p.client.get(f"/api/v1/nodes/{node}/cameras/cam-01/ignore-regions", headers=admin)
    assert listed.status_code == 200, listed.text
    [row] = listed.json()
    assert row["created_by"] == "reviewer" and row["case_id"] == case["id"]
    assert row["code"] == region.id

    # the node with the pushed config: the post raises nothing, goods elsewhere still alert
    assert run_camera(tmp_path, node, cam, [street()] * 40) == []
    (goods,) = run_camera(tmp_path, node, cam, [street(goods=GOODS)] * 40)
    assert [o.class_name for o in goods.objects] == ["goods"]


def test_the_same_object_is_masked_once(node_platform, mqtt_broker, tmp_path: Path) -> None:
    p, node = node_platform
    r = p.client.patch(
        f"/api/v1/nodes/{node}/cameras/cam-01/zones/z1", headers=p.login("admin"),
        json={"polygon": ZONE, "rules": RULES},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    cam = camera_of(retained_config(mqtt_broker, node))
    (first,) = run_camera(tmp_path, node, cam, [street()] * 40)
    (second,) = run_camera(tmp_path, node, cam, [street()] * 40, start=3600)
    assert first.alert_id != second.alert_id
    p.deliver(first, second)
    ids = [p.case_of(a.alert_id)["id"] for a in (first, second)]
    assert ids[0] != ids[1]
    p.post("reviewer", f"/cases/{ids[0]}/reject", {"reason": "fixed_structure: the sign post"})
    revision = latest_revision(p, node)
    again = p.post("reviewer", f"/cases/{ids[0]}/reject", {"reason": FIXED_STRUCTURE}, 409)
    assert "reject" in again["detail"]
    # the second alert on the same post is already covered: no region, no revision
    p.post("reviewer", f"/cases/{ids[1]}/reject", {"reason": FIXED_STRUCTURE})
    assert latest_revision(p, node) == revision
    with p.db.session() as session:  # the service run twice over one case adds nothing more
        case = cases.get_case(session, case_id=ids[0])
        again_added = ignore_regions.add_from_case(
            session, case=case, actor=SYSTEM, now=p.clock.now
        )
        count = session.scalar(select(func.count()).select_from(IgnoreRegionRecord))
    assert again_added == [] and count == 1
    assert len(camera_of(retained_config(mqtt_broker, node)).ignore) == 1


def test_admins_remove_regions_and_set_the_reference(node_platform, mqtt_broker) -> None:
    p, node = node_platform
    alert = p.alerts(node=node)
    p.deliver(alert)
    case = p.case_of(alert.alert_id)
    p.post("reviewer", f"/cases/{case['id']}/reject", {"reason": FIXED_STRUCTURE})
    base = f"/api/v1/nodes/{node}/cameras/cam-01"
    admin, reviewer = p.login("admin"), p.login("reviewer")
    [region] = p.client.get(f"{base}/ignore-regions", headers=reviewer).json()
    assert region["alert_id"] == alert.alert_id
    r = p.client.delete(f"{base}/ignore-regions/{region['code']}", headers=reviewer)
    assert r.status_code == 403
    assert p.client.delete(f"{base}/ignore-regions/nope", headers=admin).status_code == 404
    r = p.client.delete(f"{base}/ignore-regions/{region['code']}", headers=admin)
    assert r.status_code == 204, r.text
    r = p.client.delete(f"{base}/ignore-regions/{region['code']}", headers=admin)
    assert r.status_code == 409 and "already removed by admin" in r.json()["detail"]
    assert p.client.get(f"{base}/ignore-regions", headers=admin).json() == []
    [kept] = p.client.get(f"{base}/ignore-regions?include_removed=true", headers=admin).json()
    assert kept["removed_by"] == "admin"
    assert camera_of(retained_config(mqtt_broker, node)).ignore == ()

    r = p.client.put(f"{base}/reference", headers=admin, json={"at": "2026-11-21T22:30:00"})
    assert r.status_code == 422 and "time zone" in r.json()["detail"]
    r = p.client.put(f"{base}/reference", headers=admin, json={})
    assert r.status_code == 422 and "exactly one" in r.json()["detail"]
    r = p.client.put(f"{base}/reference", headers=admin, json={"at": "2026-11-21T22:30:00+08:00"})
    assert r.status_code == 200, r.text
    assert r.json()["set_by"] == "admin"
    reference = camera_of(retained_config(mqtt_broker, node)).reference
    assert reference is not None and reference.at.isoformat() == "2026-11-21T14:30:00+00:00"
    assert p.client.delete(f"{base}/reference", headers=admin).status_code == 204
    r = p.client.delete(f"{base}/reference", headers=admin)
    assert r.status_code == 409 and "no reference request" in r.json()["detail"]
    assert camera_of(retained_config(mqtt_broker, node)).reference is None
    r = p.client.get(f"/api/v1/nodes/{node}/cameras/nope/reference", headers=admin)
    assert r.status_code == 404 and "nope" in r.json()["detail"]
