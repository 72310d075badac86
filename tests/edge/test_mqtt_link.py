"""Store and forward against a real Mosquitto: order, acks, broker restarts, kills, Last Will."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from streetorder.config.common import BrokerConfig
from streetorder.contracts import Availability, decode, encode, topics
from streetorder.edge.transport.mqtt import Drainer, MqttLink
from streetorder.edge.transport.queue import Outbox
from tests.edge.mqtt_support import Subscriber, first_arrivals, make_alert

pytestmark = pytest.mark.mqtt
REPO = Path(__file__).resolve().parents[2]


class Edge:
    """Outbox + link + drainer in this process."""

    def __init__(self, db: Path, host: str, port: int, node: str, window: int = 8) -> None:
        self.node = node
        self.outbox = Outbox(db)
        self.stop_event = threading.Event()
        self.link = MqttLink(BrokerConfig(host=host, port=port, keepalive_seconds=5), node)
        # the broker link alone: a PUBACK is delivery (receipts: test_receipts.py)
        self.drainer = Drainer(
            self.outbox, self.link, self.stop_event, window=window, await_receipts=False
        )
        self.link.start()
        self.drainer.start()

    def enqueue(self, i: int) -> str:
        alert = make_alert(self.node, i)
        self.outbox.put(alert.alert_id, topics.alerts(self.node), encode(alert))
        return alert.alert_id

    def close(self) -> None:
        self.stop_event.set()
        self.drainer.join(5)
        self.link.stop()
        self.outbox.close()


def test_queued_alerts_arrive_in_order_and_leave_the_outbox_after_puback(
    mosquitto_factory, tmp_path: Path
) -> None:
    broker = mosquitto_factory()
    sub = Subscriber(broker.host, broker.port, topics.alerts("n1"))
    edge = Edge(tmp_path / "q.db", broker.host, broker.port, "n1")
    try:
        sent = [edge.enqueue(i) for i in range(50)]
        assert sub.wait_for(lambda: len(set(sub.alert_ids(topics.alerts("n1")))) == 50)
        assert first_arrivals(sub.alert_ids(topics.alerts("n1"))) == sent
        assert sub.wait_for(lambda: len(edge.outbox) == 0, 5)
        assert edge.drainer.published_total == 50
    finally:
        edge.close()
        sub.close()


def test_alerts_wait_while_the_broker_is_down_and_go_once_it_is_up(
    mosquitto_factory, tmp_path: Path
) -> None:
    broker = mosquitto_factory()
    sub = Subscriber(broker.host, broker.port, topics.alerts("n2"))
    broker.stop()
    edge = Edge(tmp_path / "q.db", broker.host, broker.port, "n2")
    try:
        sent = [edge.enqueue(i) for i in range(20)]
        time.sleep(1.0)
        assert len(edge.outbox) == 20  # nothing is lost or dropped while there is no broker
        broker.start()
        assert sub.wait_for(lambda: len(set(sub.alert_ids(topics.alerts("n2")))) == 20, 30)
        assert first_arrivals(sub.alert_ids(topics.alerts("n2"))) == sent
        assert sub.wait_for(lambda: len(edge.outbox) == 0, 5)
    finally:
        edge.close()
        sub.close()


@pytest.mark.slow
def test_broker_restarted_twice_mid_run_loses_nothing_and_keeps_order(
    mosquitto_factory, tmp_path: Path
) -> None:
    broker = mosquitto_factory()
    sub = Subscriber(broker.host, broker.port, topics.alerts("n3"))
    edge = Edge(tmp_path / "q.db", broker.host, broker.port, "n3")
    sent: list[str] = []

    def produce() -> None:
        for i in range(150):
            sent.append(edge.enqueue(i))
            time.sleep(0.02)

    producer = threading.Thread(target=produce)
    try:
        producer.start()
        for _ in range(2):
            time.sleep(0.8)
            broker.stop()
            time.sleep(1.0)
            broker.start()
        producer.join()
        assert sub.wait_for(lambda: len(set(sub.alert_ids(topics.alerts("n3")))) == 150, 60)
        assert first_arrivals(sub.alert_ids(topics.alerts("n3"))) == sent
        assert sub.wait_for(lambda: len(edge.outbox) == 0, 10)
    finally:
        edge.close()
        sub.close()


def test_availability_is_retained_online_and_offline_after_a_clean_stop(
    mosquitto_factory, tmp_path: Path
) -> None:
    broker = mosquitto_factory()
    edge = Edge(tmp_path / "q.db", broker.host, broker.port, "n4")
    assert edge.link.wait_connected(10)
    late = Subscriber(broker.host, broker.port, topics.status("n4"))  # joins after: retained
    try:
        assert late.wait_for(lambda: late.payloads(topics.status("n4")))
        first = decode(late.payloads(topics.status("n4"))[0])
        assert isinstance(first, Availability) and first.state == "online"
        edge.close()
        assert late.wait_for(lambda: len(late.payloads(topics.status("n4"))) >= 2)
        assert decode(late.payloads(topics.status("n4"))[-1]).state == "offline"  # type: ignore[union-attr]
    finally:
        late.close()


def _spawn(db: Path, broker, node: str, count: int, interval: float) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.edge.outbox_child",
            str(db),
            broker.host,
            str(broker.port),
            node,
            str(count),
            str(interval),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )


def _read_until(child: subprocess.Popen, predicate, timeout: float = 30.0) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    assert child.stdout is not None
    while time.monotonic() < deadline:
        line = child.stdout.readline()
        if not line:
            break
        lines.append(line.strip())
        if predicate(lines):
            break
    return lines


def test_last_will_offline_is_published_when_the_edge_is_killed(
    mosquitto_factory, tmp_path: Path
) -> None:
    broker = mosquitto_factory()
    node = "n5"
    sub = Subscriber(broker.host, broker.port, topics.status(node))
    child = _spawn(tmp_path / "q.db", broker, node, 1000, 0.05)
    try:
        _read_until(child, lambda lines: len(lines) >= 3)
        assert sub.wait_for(lambda: _states(sub, node) == ["online"])
        child.send_signal(signal.SIGKILL)  # no clean shutdown: the broker sends the Last Will
        child.wait(10)
        assert sub.wait_for(lambda: _states(sub, node) == ["online", "offline"], 15)
    finally:
        if child.poll() is None:
            child.kill()
        sub.close()


def _states(sub: Subscriber, node: str) -> list[str]:
    return [decode(p).state for p in sub.payloads(topics.status(node))]  # type: ignore[union-attr]


@pytest.mark.slow
def test_edge_killed_with_unacknowledged_alerts_in_flight_delivers_every_alert_once(
    mosquitto_factory, tmp_path: Path
) -> None:
    """The broker freezes (no PUBACKs), the edge is SIGKILLed, the broker crashes too: the
    alerts that were on the wire exist only in the edge's outbox, and must still arrive."""
    broker = mosquitto_factory()
    node = "n6"
    sub = Subscriber(broker.host, broker.port, topics.alerts(node))
    expected = [make_alert(node, i).alert_id for i in range(60)]
    db = tmp_path / "q.db"
    child = _spawn(db, broker, node, 60, 0.03)
    try:
        _read_until(child, lambda lines: len(lines) >= 15)
        broker.process.send_signal(signal.SIGSTOP)
        _read_until(child, lambda lines: len(lines) >= 12)  # published, never acknowledged
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        broker.process.send_signal(signal.SIGCONT)
        broker.kill()
        assert len(Outbox(db)) >= 12
        subscribed = sub.subscriptions
        broker.start()  # a crashed broker may forget the subscriber's session: let it rejoin
        assert sub.wait_for(lambda: sub.subscriptions > subscribed)
        child = _spawn(db, broker, node, 60, 0.01)
        lines = _read_until(child, lambda lines: lines[-1] == "drained", 60)
        assert lines[-1] == "drained"
        child.wait(10)
        sub.wait_for(lambda: set(sub.alert_ids(topics.alerts(node))) == set(expected))
        got = sub.alert_ids(topics.alerts(node))
        assert [expected.index(i) for i in first_arrivals(got)] == list(range(60)), [
            expected.index(i) for i in got
        ]
    finally:
        if child.poll() is None:
            child.kill()
        sub.close()
