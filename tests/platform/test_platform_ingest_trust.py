"""What the ingest believes: only a registered node's alert for its own camera, zone and shop,
with times inside the clock-skew window, becomes a case; an alert id reused with other content
is kept as a conflict; every refused message is kept byte for byte with its reason."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from streetorder.contracts import Alert, EpisodeEnd, encode, topics
from streetorder.platform.db import Case, RejectedMessage
from streetorder.platform.ingest.consumer import BatchWriter, Inbound
from streetorder.platform.services.seed import seed_demo
from streetorder.platform.settings import IngestSettings

from .conftest import PASSWORD
from .test_platform_ingest import consumer_for, publish, publisher, wait_for


def write(p, *messages: Alert | EpisodeEnd | tuple[str, bytes], settings=None):
    """Write one batch (alerts on their node's topic, or raw (topic, payload)); the receipts."""
    batch = []
    for m in messages:
        if isinstance(m, tuple):
            batch.append(Inbound(*m))
        else:
            topic = topics.alerts if isinstance(m, Alert) else topics.episodes
            batch.append(Inbound(topic(m.node_id), encode(m)))
    writer = BatchWriter(p.db, p.rules, clock=p.clock, settings=settings or IngestSettings())
    lines: list = []
    assert writer.write_robustly(batch, threading.Event(), lines)
    return [(ln.entry.alert_id, ln.entry.outcome, ln.entry.reason) for ln in lines]


def cases_of(p, *alerts: Alert) -> set[str]:
    with p.db.session() as s:
        ids = [a.alert_id for a in alerts]
        return set(s.scalars(select(Case.alert_id).where(Case.alert_id.in_(ids))))


def refused(p, category: str | None = None) -> list[RejectedMessage]:
    with p.db.session() as s:
        query = select(RejectedMessage).order_by(RejectedMessage.id)
        if category:
            query = query.where(RejectedMessage.category == category)
        rows = list(s.scalars(query))
        s.expunge_all()
        return rows


def test_only_a_registered_node_camera_zone_and_shop_open_a_case(platform) -> None:
    p = platform
    good = p.alerts()
    ghost = p.alerts(node="ghost-node")  # on its own topic: topic node = payload node
    other_camera = p.alerts().model_copy(update={"camera_id": "cam-99"})
    other_zone = p.alerts(zone="z9")
    other_shop = p.alerts(zone="z1", shop="shop-002")  # z1 is shop-001's frontage
    lines = write(p, good, ghost, other_camera, other_zone, other_shop)
    assert cases_of(p, good, ghost, other_camera, other_zone, other_shop) == {good.alert_id}
    outcome = {alert_id: (result, reason) for alert_id, result, reason in lines}
    assert outcome[good.alert_id] == ("stored", "")
    assert outcome[ghost.alert_id] == ("rejected", "node 'ghost-node' is not registered")
    assert outcome[other_camera.alert_id] == (
        "rejected", "camera 'cam-99' is not registered to node 'edge-01'")  # fmt: skip
    assert outcome[other_zone.alert_id] == (
        "rejected", "zone 'z9' is not registered on camera edge-01/cam-01")  # fmt: skip
    assert outcome[other_shop.alert_id] == (
        "rejected", "shop 'shop-002' is not the shop of zone edge-01/cam-01/z1 (registered: "
        "'shop-001')")  # fmt: skip
    kept = refused(p, "untrusted")
    assert [r.alert_id for r in kept] == [
        a.alert_id for a in (ghost, other_camera, other_zone, other_shop)]  # fmt: skip
    assert kept[0].node_code == "ghost-node" and kept[0].payload == encode(ghost)


def test_an_episode_end_must_come_from_the_node_of_its_alert(platform) -> None:
    p = platform
    with p.db.session() as session:
        seed_demo(session, node_code="edge-02", password=PASSWORD, bcrypt_rounds=4)
    alert = p.alerts()
    write(p, alert)
    at = alert.threshold_crossed_at + timedelta(minutes=1)
    forged = EpisodeEnd(alert_id=alert.alert_id, node_id="edge-02", camera_id="cam-01",
                        zone_id="z1", shop_id="shop-001", ended_at=at, clear_seconds=60,
                        created_at=at)  # fmt: skip
    assert write(p, forged) == [(alert.alert_id, "rejected",
                                 f"alert {alert.alert_id} is edge-01/cam-01/z1's, not "
                                 "edge-02/cam-01/z1's")]  # fmt: skip
    real = forged.model_copy(update={"node_id": "edge-01"})
    assert write(p, real) == [(alert.alert_id, "stored", "")]


def test_times_outside_the_clock_skew_window_are_refused(platform) -> None:
    p = platform
    ancient = p.alerts(started_at=datetime(1, 1, 1, tzinfo=UTC))
    ahead = p.alerts(started_at=p.clock.now + timedelta(hours=1))
    slightly_fast = p.alerts(started_at=p.clock.now - timedelta(minutes=3))  # +2 min ahead
    stale = p.alerts(started_at=p.clock.now - timedelta(days=31))
    lines = dict((i, (o, r)) for i, o, r in write(p, ancient, ahead, slightly_fast, stale))
    assert cases_of(p, ancient, ahead, slightly_fast, stale) == {slightly_fast.alert_id}
    why = lines[ancient.alert_id][1]
    assert why.startswith("episode_started_at 0001-01-01T00:00:00+00:00 is 739")
    assert why.endswith("days before the platform's clock (at most 30 days)")
    assert lines[ahead.alert_id][1] == (
        f"episode_started_at {(p.clock.now + timedelta(hours=1)).isoformat()} is "
        "3600 s ahead of the platform's clock (at most 300 s)")  # fmt: skip
    assert "days before the platform's clock" in lines[stale.alert_id][1]
    assert {r.category for r in refused(p)} == {"clock"}
    strict = IngestSettings(max_clock_skew_seconds=0, max_message_age_days=40)
    fast, old = p.alerts(started_at=p.clock.now - timedelta(minutes=4)), stale.model_copy()
    got = {i: o for i, o, _ in write(p, fast, old, settings=strict)}
    assert got == {fast.alert_id: "rejected", old.alert_id: "stored"}


def test_the_same_alert_id_with_other_content_is_kept_as_a_conflict(platform) -> None:
    p = platform
    alert = p.alerts()
    assert write(p, alert) == [(alert.alert_id, "stored", "")]
    assert write(p, alert) == [(alert.alert_id, "duplicate", "")]  # the same again: harmless
    changed = alert.model_copy(update={"dwell_seconds": alert.dwell_seconds + 600})
    [(alert_id, outcome, reason)] = write(p, changed)
    assert (alert_id, outcome) == (alert.alert_id, "rejected")
    assert reason.startswith(f"alert {alert.alert_id} is already stored with other content")
    twin = p.alerts()  # two different copies of a new id in one batch: the first is stored
    other = twin.model_copy(update={"shop_id": "shop-001", "reminder": 0, "dwell_seconds": 1.0})
    assert [o for _, o, _ in write(p, twin, other)] == ["stored", "rejected"]
    conflicts = refused(p, "conflict")
    assert [c.alert_id for c in conflicts] == [alert.alert_id, twin.alert_id]
    assert conflicts[0].payload == encode(changed)
    with p.db.session() as s:  # the stored alert and its one case are untouched
        assert s.scalar(select(func.count()).select_from(Case)) == 2
    listed = p.client.get("/api/v1/ingest/conflicts", headers=p.login("admin"))
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["count"] == 2 and {c["alert_id"] for c in body["data"]} == {
        alert.alert_id, twin.alert_id}  # fmt: skip
    assert body["data"][0]["category"] == "conflict"
    assert p.client.get("/api/v1/ingest/conflicts", headers=p.login("reviewer")).status_code == 403


def test_every_refused_message_is_kept_byte_for_byte(platform) -> None:
    p = platform
    node = p.alerts.node
    good = json.loads(encode(p.alerts()))
    payloads = {
        "nul bytes": b'{"kind": "alert"\x00\x00, "v": 1}',
        "binary": bytes(range(256)),
        "nul in a key": json.dumps({**good, "\u0000": 1}).encode(),
        "nul in the alert id": json.dumps({**good, "alert_id": "al-\u0000"}).encode(),
        "empty": b"",
    }
    write(p, *[(topics.alerts(node), payload) for payload in payloads.values()])
    kept = refused(p)
    assert [r.payload or b"" for r in kept] == list(payloads.values())
    assert [r.payload_size for r in kept] == [len(v) for v in payloads.values()]
    assert all("\x00" not in r.payload_head + r.reason for r in kept)
    listed = p.client.get("/api/v1/ingest/rejected", headers=p.login("admin"),
                          params={"category": "invalid"})  # fmt: skip
    assert listed.status_code == 200, listed.text
    got = [base64.b64decode(r["payload_base64"] or "") for r in listed.json()["data"]]
    assert got == list(reversed(payloads.values()))  # newest first


@pytest.mark.mqtt
def test_untrusted_and_binary_messages_over_mosquitto(platform_factory, mqtt_broker) -> None:
    node = f"pt-{uuid.uuid4().hex[:8]}"
    p = platform_factory(node_code=node)
    consumer = consumer_for(p, mqtt_broker, f"g{uuid.uuid4().hex[:8]}")
    client = publisher(mqtt_broker)
    try:
        stranger = p.alerts(zone="z9", shop="shop-unknown")
        ancient = p.alerts(started_at=datetime(1, 1, 1, tzinfo=UTC))
        good = p.alerts()
        for alert in (stranger, ancient, good):
            publish(client, topics.alerts(node), encode(alert))
        publish(client, topics.alerts(node), b"\x00\x01\x02 not an alert \x00")

        def of_this_node() -> list[RejectedMessage]:  # a shared broker brings others' too
            return [r for r in refused(p) if r.node_code == node]

        wait_for(lambda: len(of_this_node()) >= 3 and cases_of(p, good))
        assert cases_of(p, stranger, ancient, good) == {good.alert_id}
        mine = of_this_node()
        assert sorted(r.category for r in mine) == ["clock", "invalid", "untrusted"]
        assert b"\x00\x01\x02 not an alert \x00" in [r.payload for r in mine]
        counted = consumer.snapshot()["rejections"]  # by category: a bounded metrics label
        assert {"clock", "untrusted", "invalid"} <= set(counted) <= {
            "invalid", "untrusted", "clock", "conflict", "error"}  # fmt: skip
    finally:
        client.loop_stop()
        client.disconnect()
        consumer.stop()
