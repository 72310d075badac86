"""The outbox's receipt states and the PUBACK reason codes that do not count as delivered."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from streetorder.config.common import BrokerConfig
from streetorder.contracts import Receipt, ReceiptEntry, encode, topics
from streetorder.edge.transport.mqtt import Drainer, MqttLink, delivered
from streetorder.edge.transport.queue import FAILED, QUEUED, SENT, Outbox
from streetorder.edge.transport.receipts import apply_receipt, outbox_id
from tests.edge.mqtt_support import Subscriber, make_alert

NODE = "edge-rc"
NO_WAIT = 1000.0  # seconds until a re-send: never within a test


def receipt(*entries: tuple[str, str, str, str], node: str = NODE) -> bytes:
    return encode(
        Receipt(
            node_id=node,
            entries=tuple(
                ReceiptEntry(message=m, alert_id=a, outcome=o, reason=r)  # type: ignore[arg-type]
                for m, a, o, r in entries
            ),
            at=datetime.now(UTC),
        )
    )


def filled(path: Path) -> Outbox:
    box = Outbox(path)
    box.put("al-1", topics.alerts(NODE), b"alert 1")
    box.put("end-al-1", topics.episodes(NODE), b"end 1")
    box.put("config-ack-3-x", topics.config_ack(NODE), b"ack")
    return box


def test_a_puback_deletes_a_config_ack_but_keeps_alerts_and_episode_ends_awaiting_receipt(
    tmp_path: Path,
) -> None:
    box = filled(tmp_path / "q.db")
    for message in box.peek(10):
        box.published(message.seq, lambda attempts: NO_WAIT)
    assert box.ids() == ["al-1", "end-al-1"]
    assert (box.count(QUEUED), box.count(SENT), len(box)) == (0, 2, 2)
    assert box.peek(10) == []  # sent: not published again until its receipt is overdue


def test_a_restarted_node_sends_what_had_no_receipt_again_first(tmp_path: Path) -> None:
    box = filled(tmp_path / "q.db")
    for message in box.peek(10):
        box.published(message.seq, lambda attempts: NO_WAIT)
    box.close()  # the node stops (or dies) before any receipt came
    again = Outbox(tmp_path / "q.db")
    assert [m.msg_id for m in again.peek(10)] == ["al-1", "end-al-1"]
    assert (again.count(QUEUED), again.count(SENT)) == (2, 0)


def test_receipts_clear_stored_and_duplicate_fail_rejected_and_keep_retry(tmp_path: Path) -> None:
    box = filled(tmp_path / "q.db")
    box.put("al-2", topics.alerts(NODE), b"alert 2")
    box.put("end-al-2", topics.episodes(NODE), b"end 2")
    for message in box.peek(10):
        box.published(message.seq, lambda attempts: NO_WAIT)
    settled = apply_receipt(
        box,
        receipt(
            ("alert", "al-1", "stored", ""),
            ("episode_end", "al-1", "duplicate", ""),
            ("alert", "al-2", "rejected", "invalid alert: objects: too short"),
            ("episode_end", "al-2", "retry", "episode end for unknown alert al-2"),
            ("alert", "al-unknown", "stored", ""),  # not (or no longer) in this outbox
        ),
        NODE,
    )
    assert settled == 4
    assert box.ids() == ["end-al-2"]
    assert box.count(SENT) == 1 and box.count(FAILED) == 1
    assert box.failed() == [("al-2", "invalid alert: objects: too short")]


def test_a_receipt_for_another_node_or_not_a_receipt_changes_nothing(tmp_path: Path) -> None:
    box = filled(tmp_path / "q.db")
    assert apply_receipt(box, receipt(("alert", "al-1", "stored", ""), node="other"), NODE) == 0
    assert apply_receipt(box, b"{not json", NODE) == 0
    assert box.ids() == ["al-1", "end-al-1", "config-ack-3-x"]


def test_a_receipt_that_overtakes_the_puback_wins(tmp_path: Path) -> None:
    box = filled(tmp_path / "q.db")
    first = box.peek(1)[0]
    assert box.settle(first.msg_id, "rejected", "bad")
    box.published(first.seq, lambda attempts: NO_WAIT)  # the late PUBACK
    assert box.failed() == [("al-1", "bad")] and box.count(SENT) == 0


def test_overdue_messages_are_queued_again_with_growing_attempts(tmp_path: Path) -> None:
    box = filled(tmp_path / "q.db")
    waits: list[int] = []

    def resend_after(attempts: int) -> float:
        waits.append(attempts)
        return 10.0

    for message in box.peek(10):
        box.published(message.seq, resend_after)
    assert box.requeue_due(time.time()) is None  # not overdue yet
    first = box.requeue_due(time.time() + 11)
    assert first == box.peek(1)[0].seq
    assert [m.msg_id for m in box.peek(10)] == ["al-1", "end-al-1"]
    for message in box.peek(10):
        box.published(message.seq, resend_after)
    assert waits == [1, 1, 2, 2]


def test_the_backoff_doubles_from_the_receipt_timeout_to_its_cap_with_jitter(
    tmp_path: Path,
) -> None:
    link = MqttLink(BrokerConfig(host="127.0.0.1", port=1), NODE)  # never started
    drainer = Drainer(
        Outbox(tmp_path / "q.db"), link, threading.Event(),
        receipt_timeout=30.0, receipt_timeout_max=600.0, jitter=0.2,
    )  # fmt: skip
    for attempts, base in [(1, 30), (2, 60), (3, 120), (5, 480), (6, 600), (40, 600)]:
        waits = [drainer.resend_after(attempts) for _ in range(50)]
        assert all(base * 0.8 <= w <= base * 1.2 for w in waits), (attempts, waits)
        assert len({round(w, 6) for w in waits}) > 1  # jittered: nodes do not re-send in step


def test_an_outbox_from_before_receipts_opens_and_its_alerts_await_receipts(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            "CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, msg_id TEXT NOT NULL"
            " UNIQUE, topic TEXT NOT NULL, payload BLOB NOT NULL, qos INTEGER NOT NULL DEFAULT 1,"
            " retain INTEGER NOT NULL DEFAULT 0, enqueued_at REAL NOT NULL);"
        )
        conn.execute(
            "INSERT INTO outbox (msg_id, topic, payload, enqueued_at) VALUES (?, ?, ?, 0),"
            " (?, ?, ?, 0)",
            ("al-9", topics.alerts(NODE), b"a", "config-ack-1", topics.config_ack(NODE), b"c"),
        )
    box = Outbox(path)
    for message in box.peek(10):
        box.published(message.seq, lambda attempts: NO_WAIT)
    assert box.ids() == ["al-9"] and box.count(SENT) == 1


@pytest.mark.parametrize(
    ("code", "ok"),
    [
        (0x00, True),  # success
        (0x10, False),  # no matching subscribers: nobody will get it
        (0x80, False),  # unspecified error
        (0x87, False),  # not authorized
        (0x97, False),  # quota exceeded
    ],
)
def test_puback_reason_codes(code: int, ok: bool) -> None:
    assert delivered(ReasonCode(PacketTypes.PUBACK, identifier=code)) is ok
    assert delivered(code) is ok


def test_receipt_entries_name_the_ids_the_node_queues_under() -> None:
    assert outbox_id("alert", "al-1") == "al-1"
    assert outbox_id("episode_end", "al-1") == "end-al-1"


@pytest.mark.mqtt
def test_a_puback_with_no_matching_subscribers_is_retried_until_someone_subscribes(
    mosquitto_factory, tmp_path: Path
) -> None:
    broker = mosquitto_factory()
    box = Outbox(tmp_path / "q.db")
    stop = threading.Event()
    link = MqttLink(BrokerConfig(host=broker.host, port=broker.port, keepalive_seconds=5), NODE)
    drainer = Drainer(box, link, stop, await_receipts=False)  # the reason code alone
    link.start()
    drainer.start()
    alert = make_alert(NODE, 0)
    box.put(alert.alert_id, topics.alerts(NODE), encode(alert))
    sub = None
    try:
        assert wait_until(lambda: drainer.refused_total >= 1)  # 0x10: nobody subscribed
        assert box.ids() == [alert.alert_id] and box.count(QUEUED) == 1
        sub = Subscriber(broker.host, broker.port, topics.alerts(NODE))
        assert sub.wait_for(lambda: sub.alert_ids(topics.alerts(NODE)) == [alert.alert_id])
        assert sub.wait_for(lambda: len(box) == 0)
    finally:
        stop.set()
        drainer.join(5)
        link.stop()
        box.close()
        if sub is not None:
            sub.close()


def wait_until(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not condition():
        time.sleep(0.05)
    return condition()
