"""MQTT ingest against a real Mosquitto: exactly one case per alert id, bad messages rejected and
counted without stopping the consumer, shared subscriptions across replicas, config push + ack."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from streetorder.config.common import BrokerConfig
from streetorder.contracts import ConfigAck, ConfigPush, EpisodeEnd, decode, encode, topics
from streetorder.platform.db import AlertRecord, Case, RejectedMessage
from streetorder.platform.ingest.consumer import IngestConsumer
from streetorder.platform.ingest.mqtt import MqttPublisher
from streetorder.platform.settings import IngestSettings

pytestmark = pytest.mark.mqtt


def publisher(broker) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect(broker.host, broker.port)
    client.loop_start()
    return client


def publish(client: mqtt.Client, topic: str, payload: bytes) -> None:
    client.publish(topic, payload, qos=1).wait_for_publish(5)


def wait_for(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def consumer_for(p, broker, group: str) -> IngestConsumer:
    consumer = IngestConsumer(
        BrokerConfig(host=broker.host, port=broker.port), p.db, p.rules,
        settings=IngestSettings(share_group=group, batch_size=50, batch_wait_ms=10),
        clock=p.clock,
    )  # fmt: skip
    consumer.start()
    assert consumer.wait_connected(10)
    time.sleep(0.3)  # subscriptions granted
    return consumer


def test_duplicates_and_malformed_messages(platform_factory, mqtt_broker) -> None:
    node = f"pt-{uuid.uuid4().hex[:8]}"
    p = platform_factory(node_code=node)
    consumer = consumer_for(p, mqtt_broker, f"g{uuid.uuid4().hex[:8]}")
    client = publisher(mqtt_broker)
    try:
        alerts = [p.alerts(zone="z1" if i % 2 else "z2", shop="shop-001" if i % 2 else "shop-002")
                  for i in range(20)]  # fmt: skip
        for alert in alerts + alerts[:10]:  # ten delivered twice
            publish(client, topics.alerts(node), encode(alert))
        good = json.loads(encode(alerts[0]))
        garbage = {
            "not JSON": b"{oops",
            "unsupported schema version": json.dumps({**good, "v": 2}).encode(),
            "unknown message kind": json.dumps({**good, "kind": "bogus"}).encode(),
            "invalid alert": json.dumps({**good, "dwell_seconds": -1}).encode(),
            "differs from the topic's node": encode(alerts[0]),  # on another node's topic
            "alert message on the episodes topic": encode(alerts[1]),
        }
        for reason, payload in garbage.items():
            topic = topics.alerts(node)
            if reason == "differs from the topic's node":
                topic = topics.alerts(node + "x")
            elif "episodes" in reason:
                topic = topics.episodes(node)
            publish(client, topic, payload)
        end = EpisodeEnd(
            alert_id=alerts[0].alert_id, node_id=node, camera_id="cam-01",
            zone_id=alerts[0].zone_id, shop_id=alerts[0].shop_id, ended_at=p.clock.now,
            clear_seconds=60, created_at=p.clock.now,
        )  # fmt: skip
        publish(client, topics.episodes(node), encode(end))
        publish(client, topics.episodes(node), encode(end))  # twice: attached once
        # the consumer is still alive after the garbage: a later alert still becomes a case
        late = p.alerts()
        publish(client, topics.alerts(node), encode(late))
        ids = [a.alert_id for a in alerts] + [late.alert_id]

        def cases() -> int:
            with p.db.session() as s:
                return s.scalar(
                    select(func.count()).select_from(Case).where(Case.alert_id.in_(ids))
                )

        wait_for(lambda: cases() == 21 and consumer.snapshot().get("episode_ends", 0) >= 1)
        time.sleep(0.5)  # let stragglers (duplicates) arrive
        assert cases() == 21
        stats = consumer.snapshot()
        assert stats["alerts_duplicate"] >= 10 and stats["rejected"] >= len(garbage)
        with p.db.session() as s:
            alerts_stored = s.scalar(
                select(func.count()).select_from(AlertRecord).where(AlertRecord.alert_id.in_(ids))
            )
            reasons = [r.reason for r in s.scalars(select(RejectedMessage).where(
                RejectedMessage.topic.like(f"%/{node}%")))]  # fmt: skip
            case = s.scalars(select(Case).filter_by(alert_id=alerts[0].alert_id)).one()
            assert case.episode_ended_at is not None
        assert alerts_stored == 21
        for expected in garbage:
            assert any(expected in r for r in reasons), (expected, reasons)
        detail = p.client.get(f"/api/v1/cases/{case.id}", headers=p.login("reviewer")).json()
        assert [e["event"] for e in detail["events"]].count("episode_end") == 1
        listed = p.client.get("/api/v1/ingest/rejected", headers=p.login("admin")).json()
        assert listed["count"] >= len(garbage)
    finally:
        client.loop_stop()
        client.disconnect()
        consumer.stop()


def test_two_replicas_share_the_load_without_duplicates(platform_factory, mqtt_broker) -> None:
    node = f"pt-{uuid.uuid4().hex[:8]}"
    p = platform_factory(node_code=node)
    group = f"g{uuid.uuid4().hex[:8]}"
    replicas = [consumer_for(p, mqtt_broker, group) for _ in range(2)]
    client = publisher(mqtt_broker)
    try:
        alerts = [p.alerts() for _ in range(60)]
        for alert in alerts + alerts:  # the second copies land on the other replica too
            publish(client, topics.alerts(node), encode(alert))
        ids = [a.alert_id for a in alerts]

        def cases() -> int:
            with p.db.session() as s:
                return s.scalar(
                    select(func.count()).select_from(Case).where(Case.alert_id.in_(ids))
                )

        wait_for(lambda: cases() == 60)
        time.sleep(1.0)  # every second copy has arrived by now: still one case each
        assert cases() == 60
        # (the counters may include other tests' traffic on the shared broker)
        new = [r.snapshot().get("alerts_new", 0) for r in replicas]
        assert sum(new) >= 60 and all(n > 0 for n in new), new
    finally:
        client.loop_stop()
        client.disconnect()
        for r in replicas:
            r.stop()


def test_zone_edit_is_pushed_retained_and_the_ack_recorded(platform_factory, mqtt_broker) -> None:
    node = f"pt-{uuid.uuid4().hex[:8]}"
    broker = BrokerConfig(host=mqtt_broker.host, port=mqtt_broker.port)
    pub = MqttPublisher(broker)
    p = platform_factory(node_code=node, publisher=pub)
    consumer = consumer_for(p, mqtt_broker, f"g{uuid.uuid4().hex[:8]}")
    client = publisher(mqtt_broker)
    try:
        r = p.client.patch(
            f"/api/v1/nodes/{node}/cameras/cam-01/zones/z1", headers=p.login("admin"),
            json={"polygon": [[0.1, 0.5], [0.5, 0.5], [0.5, 0.9], [0.1, 0.9]],
                  "rules": {"dwell_seconds": 120}},
        )  # fmt: skip
        assert r.status_code == 200, r.text
        # a node subscribing later still gets it: retained
        got: list[bytes] = []
        arrived = threading.Event()
        edge = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        edge.on_message = lambda c, u, m: (got.append(m.payload), arrived.set())
        edge.connect(mqtt_broker.host, mqtt_broker.port)
        edge.subscribe(topics.config(node), qos=1)
        edge.loop_start()
        assert arrived.wait(10)
        edge.loop_stop()
        edge.disconnect()
        push = decode(got[0])
        assert isinstance(push, ConfigPush) and push.revision == 1
        [camera] = push.cameras
        z1 = next(z for z in camera.zones if z.id == "z1")
        assert z1.rules.dwell_seconds == 120 and z1.polygon[0] == (0.1, 0.5)
        assert z1.shop_id == "shop-001"

        ack = ConfigAck(
            node_id=node, revision=1, accepted=True, active_revision=1, at=datetime.now(UTC)
        )
        publish(client, topics.config_ack(node), encode(ack))

        def acked() -> bool:
            history = p.client.get(f"/api/v1/nodes/{node}/config", headers=p.login("admin")).json()
            return history[0]["ack_accepted"] is True and history[0]["published"] is True

        wait_for(acked)
        node_info = p.client.get(f"/api/v1/nodes/{node}", headers=p.login("admin")).json()
        assert node_info["acked_revision"] == 1 and node_info["config_revision"] == 1
    finally:
        client.publish(topics.config(node), b"", qos=1, retain=True).wait_for_publish(5)  # tidy
        client.loop_stop()
        client.disconnect()
        consumer.stop()
        pub.close()


def test_whole_chain_from_mosquitto_to_closure(platform_factory, mqtt_broker) -> None:
    """Alert over MQTT → case → review → SMS in the outbox + work order → officer → closed."""
    node = f"pt-{uuid.uuid4().hex[:8]}"
    p = platform_factory(node_code=node)
    consumer = consumer_for(p, mqtt_broker, f"g{uuid.uuid4().hex[:8]}")
    client = publisher(mqtt_broker)
    try:
        alert = p.alerts()
        publish(client, topics.alerts(node), encode(alert))
        wait_for(lambda: consumer.snapshot().get("alerts_new", 0) == 1)
        p.upload_evidence(alert)
        case = p.case_of(alert.alert_id)
        assert case["state"] == "pending_review" and len(case["evidence"]) == 2
        case = p.post("reviewer", f"/cases/{case['id']}/confirm")
        assert case["sms"][0]["state"] == "queued" and case["work_orders"][0]["state"] == "open"
        p.post("admin", "/sms/deliver", status=202)
        outbox = p.client.get(
            "/api/v1/sms", params={"case_id": case["id"]}, headers=p.login("reviewer")
        )
        assert outbox.json()["data"][0]["state"] == "sent"
        p.clock.advance(hours=2)
        p.rectify_with_photo(case["id"])
        p.post("reviewer", f"/cases/{case['id']}/verify")
        case = p.post("reviewer", f"/cases/{case['id']}/close")
        assert case["state"] == "closed" and case["track"] == "exempt"
        assert len(case["events"]) == 7
    finally:
        client.loop_stop()
        client.disconnect()
        consumer.stop()


def test_node_status_heartbeat_and_periodic_jobs(platform_factory, mqtt_broker) -> None:
    """Availability and heartbeats update the node; the periodic jobs escalate and send SMS."""
    from streetorder.contracts import Availability, Heartbeat, ModelInfo
    from streetorder.platform.domain.roles import Actor, Role
    from streetorder.platform.services import cases
    from streetorder.platform.sms.providers import OutboxProvider
    from streetorder.server.jobs import PeriodicJobs

    node = f"pt-{uuid.uuid4().hex[:8]}"
    p = platform_factory(node_code=node)
    consumer = consumer_for(p, mqtt_broker, f"g{uuid.uuid4().hex[:8]}")
    client = publisher(mqtt_broker)
    try:
        now = datetime.now(UTC)
        online = encode(Availability(node_id=node, state="online", at=now))
        client.publish(topics.status(node), online, qos=1, retain=True).wait_for_publish(5)
        beat = Heartbeat(
            node_id=node, sent_at=now, uptime_seconds=5, model=ModelInfo(name="m", version="1"),
            queue_length=3, config_revision=0,
        )  # fmt: skip
        publish(client, topics.stats(node), encode(beat))

        def seen() -> bool:
            info = p.client.get(f"/api/v1/nodes/{node}", headers=p.login("admin")).json()
            return info["availability"] == "online" and info["last_seen_at"] is not None

        wait_for(seen)
    finally:
        client.publish(topics.status(node), b"", qos=1, retain=True).wait_for_publish(5)  # tidy
        client.loop_stop()
        client.disconnect()
        consumer.stop()

    alert = p.alerts()
    p.deliver(alert)
    case = p.case_of(alert.alert_id)
    with p.db.session() as session:  # confirmed by the service: its SMS stays queued
        cases.confirm(session, case_id=case["id"], actor=Actor(Role.REVIEWER, "reviewer"),
                      rules=p.rules, now=p.clock.now)  # fmt: skip
    jobs = PeriodicJobs(p.db, p.rules, OutboxProvider(), clock=p.clock)
    first = jobs.run_once()
    assert first["escalated"] == 0 and first["sms_sent"] == 1
    assert first["colour_changes"] == 1  # the confirmed violation turns the shop red
    p.clock.advance(hours=25)
    second = jobs.run_once()
    assert second["escalated"] == 1 and second["sms_sent"] == 0
    assert second["colour_changes"] == 0  # the same case does not move the colour twice
    assert first["inspections_created"] + second["inspections_created"] >= 1  # red: every 2 days
    case = p.client.get(f"/api/v1/cases/{case['id']}", headers=p.login("reviewer")).json()
    assert case["track"] == "penalty" and case["sms"][0]["state"] == "sent"
