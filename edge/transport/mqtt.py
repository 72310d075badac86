"""The node's MQTT link (paho-mqtt 2, MQTT 5 or 3.1.1) and the drainer that empties the outbox.

* QoS 1 and a persistent session (stable client id, ``clean_start=False``, session expiry), so
  in-flight messages are re-sent after a reconnect and the config subscription is kept.
* Retained availability on ``streetorder/v1/{node}/status`` with a Last Will ``offline``.
* Automatic reconnect with exponential backoff (paho's network thread).
* :class:`Drainer` publishes queued messages in order, at most ``window`` unacknowledged at a
  time. A PUBACK only says the broker took the message: alerts and episode ends then wait in
  the outbox for the platform's receipt (``streetorder/v1/{node}/receipts``) and are published
  again with backoff when none comes. A PUBACK with reason code 0x10 (no matching subscribers)
  or >= 0x80 counts as not delivered.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
from paho.mqtt.enums import MQTTErrorCode
from paho.mqtt.reasoncodes import ReasonCode

from streetorder.config.common import BrokerConfig
from streetorder.contracts import Availability, encode, topics
from streetorder.edge.transport.queue import Outbox
from streetorder.edge.transport.receipts import apply_receipt
from streetorder.mqtt import connect_async, make_client

log = logging.getLogger(__name__)

SESSION_EXPIRY_SECONDS = 7 * 24 * 3600
NO_MATCHING_SUBSCRIBERS = 0x10
ConfigHandler = Callable[[bytes], None]


def delivered(reason: ReasonCode | int) -> bool:
    """Whether a PUBACK's reason code means someone will get the message.

    0x10 "no matching subscribers": the broker dropped it (e.g. it lost the platform's
    session); >= 0x80: refused. Both are retried.
    """
    value = reason if isinstance(reason, int) else reason.value
    return value < 0x80 and value != NO_MATCHING_SUBSCRIBERS


def availability(node_id: str, state: str, at: datetime | None = None) -> bytes:
    return encode(Availability(node_id=node_id, state=state, at=at))  # type: ignore[arg-type]


class MqttLink:
    """One paho client for the node: availability, config subscription, publishing."""

    def __init__(
        self,
        broker: BrokerConfig,
        node_id: str,
        *,
        on_config: ConfigHandler | None = None,
        window: int = 32,
        reconnect_max_seconds: int = 30,
    ) -> None:
        self.broker = broker
        self.node_id = node_id
        self.on_config = on_config
        self.connected = threading.Event()
        self.connected_at = 0.0
        self.acks: queue.SimpleQueue[tuple[int, bool, str]] = queue.SimpleQueue()
        self.receipts: queue.SimpleQueue[bytes] = queue.SimpleQueue()
        self.wake = threading.Event()  # set on connect, on every PUBACK and receipt
        self._status_topic = topics.status(node_id)
        self._config_topic = topics.config(node_id)
        self._receipts_topic = topics.receipts(node_id)
        client_id = broker.client_id or f"streetorder-edge-{node_id}"
        self.client = make_client(broker, client_id, persistent=True)
        self.client.will_set(self._status_topic, availability(node_id, "offline"), 1, True)
        self.client.reconnect_delay_set(1, reconnect_max_seconds)
        self.client.max_inflight_messages_set(window)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self.client.on_message = self._on_message

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background; paho keeps retrying with backoff until it succeeds."""
        connect_async(
            self.client,
            self.broker,
            persistent=True,
            session_expiry_seconds=SESSION_EXPIRY_SECONDS,
        )
        self.client.loop_start()

    def stop(self, timeout: float = 3.0) -> None:
        """Say ``offline`` (retained) while still connected, then disconnect cleanly."""
        if self.connected.is_set():
            info = self.client.publish(
                self._status_topic,
                availability(self.node_id, "offline", datetime.now(UTC)),
                qos=1,
                retain=True,
            )
            with contextlib.suppress(RuntimeError, ValueError):  # not sent: the LWT covers it
                info.wait_for_publish(timeout)
        self.client.disconnect()
        self.client.loop_stop()
        self.connected.clear()

    def publish(
        self, topic: str, payload: bytes, qos: int = 1, retain: bool = False
    ) -> mqtt.MQTTMessageInfo:
        return self.client.publish(topic, payload, qos=qos, retain=retain)

    def wait_connected(self, timeout: float) -> bool:
        return self.connected.wait(timeout)

    # -- paho callbacks (network thread) ---------------------------------------------------

    def _on_connect(self, client, userdata, flags, reason: ReasonCode, properties) -> None:
        if reason.is_failure:
            log.error("broker %s:%s refused the connection: %s", *self._where(), reason)
            return
        log.info("connected to %s:%s (session present: %s)", *self._where(), flags.session_present)
        client.publish(
            self._status_topic,
            availability(self.node_id, "online", datetime.now(UTC)),
            qos=1,
            retain=True,
        )
        client.subscribe([(self._config_topic, 1), (self._receipts_topic, 1)])
        self.connected_at = time.monotonic()
        self.connected.set()
        self.wake.set()

    def _on_disconnect(self, client, userdata, flags, reason: ReasonCode, properties) -> None:
        if self.connected.is_set():
            # our own clean disconnect ("Normal disconnection") is no cause for concern
            level = logging.WARNING if reason.is_failure else logging.INFO
            log.log(level, "disconnected from %s:%s: %s", *self._where(), reason)
        self.connected.clear()

    def _on_publish(self, client, userdata, mid: int, reason: ReasonCode, properties) -> None:
        self.acks.put((mid, delivered(reason), str(reason)))
        self.wake.set()

    def _on_message(self, client, userdata, message: mqtt.MQTTMessage) -> None:
        if message.topic == self._receipts_topic:
            self.receipts.put(bytes(message.payload))
            self.wake.set()
        elif message.topic == self._config_topic and self.on_config is not None:
            try:
                self.on_config(message.payload)
            except Exception:  # a bad push must never kill the network thread
                log.exception("config handler failed")

    def _where(self) -> tuple[str, int]:
        return self.broker.host, self.broker.port


class Drainer:
    """Publish the outbox in order; keep each message until the platform receipts it.

    paho re-sends unacknowledged messages itself after a reconnect (same packet ids), so the
    drainer only moves its cursor forward, and after a reconnect waits until those re-sent
    messages are acknowledged before publishing newer ones (order). A message left
    unacknowledged for ``ack_timeout`` seconds of connected time, or refused by the broker
    (reason code 0x10 or >= 0x80; backoff from 1 s doubling to 60 s), is published again from
    there on: duplicates are harmless, losses are not.

    With ``await_receipts`` (the node's setting), a PUBACK moves an alert or episode end to
    ``sent``; without a receipt after ``receipt_timeout`` seconds (doubling per attempt up to
    ``receipt_timeout_max``, ±``jitter``) it is published again. Without ``await_receipts`` a
    PUBACK deletes it (for tests of the broker link alone).
    """

    def __init__(
        self,
        outbox: Outbox,
        link: MqttLink,
        stop: threading.Event,
        *,
        window: int = 32,
        ack_timeout: float = 60.0,
        await_receipts: bool = True,
        receipt_timeout: float = 30.0,
        receipt_timeout_max: float = 600.0,
        jitter: float = 0.2,
    ) -> None:
        self.outbox = outbox
        self.link = link
        self.stop = stop
        self.window = window
        self.ack_timeout = ack_timeout
        self.await_receipts = await_receipts
        self.receipt_timeout = receipt_timeout
        self.receipt_timeout_max = receipt_timeout_max
        self.jitter = jitter
        self.published_total = 0
        self.refused_total = 0
        self.receipted_total = 0  # outbox messages settled by a receipt
        self._inflight: dict[int, tuple[int, float]] = {}  # paho mid -> (outbox seq, sent at)
        self._cursor = 0
        self._retry_after = 0.0
        self._refusals = 0  # in a row: the backoff of refused messages
        self._due_checked = 0.0
        self._session_seen = 0.0  # connected_at of the connection we publish on
        self._thread: threading.Thread | None = None
        outbox.add_listener(link.wake.set)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="outbox-drainer", daemon=True)
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def inflight(self) -> int:
        return len(self._inflight)

    def resend_after(self, attempts: int) -> float:
        """Seconds to wait for a receipt after the ``attempts``-th publication."""
        base = min(self.receipt_timeout * 2 ** (attempts - 1), self.receipt_timeout_max)
        return base * random.uniform(1 - self.jitter, 1 + self.jitter)

    def run(self) -> None:
        while not self.stop.is_set():
            self.link.wake.clear()
            try:
                self.step()
            except Exception:  # keep draining; the outbox keeps the messages
                log.exception("outbox drainer step failed")
                self.stop.wait(1.0)
            self.link.wake.wait(0.5)

    def step(self) -> None:
        """Handle acknowledgements and receipts, then publish what the window allows."""
        self._handle_acks()
        self._handle_receipts()
        if not self.link.connected.is_set():
            return
        now = time.monotonic()
        self._check_stalled(now)
        self._requeue_due(now)
        if self.link.connected_at != self._session_seen:
            # paho re-sends the unacknowledged messages right after on_connect returns, from
            # its network thread; publishing newer ones before those are acknowledged could
            # overtake them. Resume once the old window has drained.
            if self._inflight:
                return
            self._session_seen = self.link.connected_at
        room = self.window - len(self._inflight)
        if room <= 0 or now < self._retry_after:
            return
        flying = {seq for seq, _ in self._inflight.values()}
        for message in self.outbox.peek(room + len(flying), after_seq=self._cursor):
            if message.seq in flying:  # re-queued while its earlier copy is still in flight
                continue
            if len(self._inflight) >= self.window:
                return
            info = self.link.publish(message.topic, message.payload, message.qos, message.retain)
            if info.rc not in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_NO_CONN):
                log.warning("publish of %s failed (%s); retrying", message.msg_id, info.rc)
                self._retry_after = now + 1.0
                return
            # MQTT_ERR_NO_CONN: paho keeps QoS 1 messages and sends them on reconnect.
            self._inflight[info.mid] = (message.seq, now)
            self._cursor = message.seq

    def _handle_acks(self) -> None:
        while True:
            try:
                mid, ok, reason = self.link.acks.get_nowait()
            except queue.Empty:
                return
            entry = self._inflight.pop(mid, None)
            if entry is None:
                continue
            seq = entry[0]
            if ok:
                self._refusals = 0
                if self.await_receipts:
                    self.outbox.published(seq, self.resend_after)
                else:
                    self.outbox.remove(seq)
                self.published_total += 1
            else:
                self.refused_total += 1
                self._rewind(seq)
                now = time.monotonic()
                if now < self._retry_after:  # the rest of a refused window: one backoff step
                    continue
                self._refusals += 1
                delay = min(2.0 ** (self._refusals - 1), 60.0)
                self._retry_after = now + delay
                log.error(
                    "broker did not deliver message seq %d: %s; publishing again in %.0f s",
                    seq, reason, delay,
                )  # fmt: skip

    def _handle_receipts(self) -> None:
        while True:
            try:
                payload = self.link.receipts.get_nowait()
            except queue.Empty:
                return
            self.receipted_total += apply_receipt(self.outbox, payload, self.link.node_id)

    def _requeue_due(self, now: float) -> None:
        if not self.await_receipts or now - self._due_checked < 1.0:
            return
        self._due_checked = now
        first = self.outbox.requeue_due()
        if first is not None:
            self._rewind(first)

    def _check_stalled(self, now: float) -> None:
        if not self._inflight:
            return
        oldest_seq, sent = min(self._inflight.values())
        waited = now - max(sent, self.link.connected_at)
        if waited > self.ack_timeout:
            log.warning("no PUBACK for seq %d after %.0f s; publishing again", oldest_seq, waited)
            self._inflight.clear()
            self._rewind(oldest_seq)

    def _rewind(self, seq: int) -> None:
        self._cursor = min(self._cursor, seq - 1)
