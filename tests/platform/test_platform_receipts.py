"""End-to-end receipts: what the ingest writer receipts, and an edge that loses nothing when
the broker forgets everything while the platform is down."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from streetorder.config.common import BrokerConfig
from streetorder.contracts import Alert, EpisodeEnd, encode, topics
from streetorder.edge.transport.mqtt import Drainer, MqttLink
from streetorder.edge.transport.queue import QUEUED, SENT, Outbox
from streetorder.edge.transport.receipts import outbox_id
from streetorder.platform.db import AlertRecord, Case
from streetorder.platform.ingest.consumer import BatchWriter, Inbound
from tests.support.services import PrivateMosquitto

from .test_platform_ingest import wait_for
from .test_platform_restart import runtime_for


def end_of(alert: Alert) -> EpisodeEnd:
    now = alert.threshold_crossed_at + timedelta(minutes=1)
    return EpisodeEnd(
        alert_id=alert.alert_id, node_id=alert.node_id, camera_id=alert.camera_id,
        zone_id=alert.zone_id, shop_id=alert.shop_id, ended_at=now, clear_seconds=60.0,
        created_at=now,
    )  # fmt: skip


def test_the_writer_receipts_stored_duplicate_retry_and_rejected(platform) -> None:
    p = platform
    node = p.alerts.node
    first, second, never_sent = p.alerts(), p.alerts(), p.alerts()
    malformed = json.loads(encode(p.alerts()))
    malformed["objects"] = []
    batch = [
        Inbound(topics.alerts(node), encode(first)),
        Inbound(topics.alerts(node), encode(first)),  # a second copy in the same batch
        Inbound(topics.episodes(node), encode(end_of(never_sent))),  # before its alert
        Inbound(topics.alerts(node), encode(second)),
        Inbound(topics.episodes(node), encode(end_of(first))),
        Inbound(topics.alerts(node), json.dumps(malformed).encode()),
        Inbound(topics.alerts(node), b"\xff not json"),  # names nothing: no receipt
    ]
    writer = BatchWriter(p.db, p.rules, clock=p.clock)
    lines = []
    assert writer.write_robustly(batch, threading.Event(), lines)
    got = [(ln.node, ln.entry.message, ln.entry.alert_id, ln.entry.outcome) for ln in lines]
    assert got == [
        (node, "alert", first.alert_id, "stored"),
        (node, "alert", first.alert_id, "duplicate"),
        (node, "alert", second.alert_id, "stored"),
        (node, "episode_end", never_sent.alert_id, "retry"),
        (node, "episode_end", first.alert_id, "stored"),
        (node, "alert", malformed["alert_id"], "rejected"),
    ]
    assert lines[-1].entry.reason.startswith("invalid alert: objects")
    again = writer.write([Inbound(topics.alerts(node), encode(first)),
                          Inbound(topics.episodes(node), encode(end_of(first)))])  # fmt: skip
    assert [ln.entry.outcome for ln in again] == ["duplicate", "duplicate"]


class Edge:
    """The node's outbox, link and drainer, with receipt timeouts of a few seconds."""

    def __init__(
        self, db: Path, broker: PrivateMosquitto, node: str, password: str | None = None
    ) -> None:
        self.node = node
        self.outbox = Outbox(db)
        self.stop_event = threading.Event()
        config = BrokerConfig(
            host=broker.host, port=broker.port, keepalive_seconds=5,
            username=node if password else None, password=password,
        )  # fmt: skip
        self.link = MqttLink(config, node, reconnect_max_seconds=1)
        self.drainer = Drainer(
            self.outbox, self.link, self.stop_event, receipt_timeout=3.0, receipt_timeout_max=6.0
        )
        self.link.start()
        self.drainer.start()

    def send(self, message: Alert | EpisodeEnd) -> None:
        if isinstance(message, Alert):
            self.outbox.put(
                outbox_id("alert", message.alert_id), topics.alerts(self.node), encode(message)
            )
        else:
            self.outbox.put(
                outbox_id("episode_end", message.alert_id),
                topics.episodes(self.node),
                encode(message),
            )

    def close(self) -> None:
        self.stop_event.set()
        self.drainer.join(5)
        self.link.stop()
        self.outbox.close()


@pytest.mark.mqtt
def test_broker_restarted_without_persistence_while_the_platform_is_down_loses_nothing(
    platform_factory, tmp_path: Path
) -> None:
    """The broker acknowledges what the edge sends while the platform is down (queued for the
    platform's session), then restarts without persistence and forgets it all, the platform's
    session included. With PUBACK as delivery those messages would be gone; the edge re-sends
    what had no receipt (first refused with 0x10: nobody subscribed) and the platform ends up
    with every alert and episode end once."""
    node = "edge-rc"
    broker = PrivateMosquitto(tmp_path / "broker", persistence=False).start()
    p = platform_factory(node_code=node)
    runtime = runtime_for(p, broker, persistent=True)
    edge = Edge(tmp_path / "outbox.db", broker, node)
    try:
        before = [p.alerts() for _ in range(3)]
        for message in [*before, end_of(before[0])]:
            edge.send(message)
        wait_for(lambda: len(edge.outbox) == 0)  # every message receipted
        runtime.stop()

        while_down = [p.alerts(zone="z2", shop="shop-002") for _ in range(4)]
        for message in [*while_down, end_of(while_down[1])]:
            edge.send(message)
        wait_for(lambda: edge.outbox.count(SENT) == 5 and edge.outbox.count(QUEUED) == 0)
        broker.restart()  # no persistence: the queued messages and the session are gone
        wait_for(lambda: edge.drainer.refused_total > 0)  # re-sent: 0x10, nobody subscribed
        runtime = runtime_for(p, broker, persistent=True)
        wait_for(lambda: len(edge.outbox) == 0, 40)

        sent = [a.alert_id for a in [*before, *while_down]]
        with p.db.session() as s:
            cases = s.execute(
                select(Case.alert_id, func.count()).where(Case.alert_id.in_(sent))
                .group_by(Case.alert_id)
            ).all()  # fmt: skip
            ended = set(
                s.scalars(
                    select(AlertRecord.alert_id).where(AlertRecord.episode_ended_at.is_not(None))
                )
            )
        assert sorted(cases) == sorted((alert_id, 1) for alert_id in sent)  # 0 lost, 0 twice
        assert ended == {before[0].alert_id, while_down[1].alert_id}
        assert edge.outbox.failed() == []
    finally:
        edge.close()
        runtime.stop()
        broker.stop()
