"""The MQTT consumer: edge messages into the database, in batches, acknowledged after commit.

* Shared subscriptions (``$share/<group>/streetorder/v1/+/alerts`` ...) so several platform
  replicas split the load; each message goes to one replica.
* QoS 1 with manual acknowledgement: a message is acknowledged only once its batch is committed,
  so a crash before commit means redelivery (and the unique alert id makes redelivery harmless).
* After each commit the replica publishes the senders' end-to-end receipts (stored, duplicate,
  rejected with the reason, or retry: ``receipts.py``); the edge keeps a message until then.
* A malformed, unknown-version or misplaced message is rejected: logged with the reason, counted,
  stored in ``rejected_messages`` (its bytes as received) and acknowledged; so is a message the
  registry or the clock-skew window does not vouch for, and an alert id already stored with
  other content (a conflict): ``services/ingest_trust.py``. Nothing a sender does can stop the
  consumer; a database outage pauses the writer, which retries the same batch with backoff.
"""

from __future__ import annotations

import logging
import queue
import re
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import DBAPIError, OperationalError

from streetorder.config.common import BrokerConfig
from streetorder.contracts import (
    Alert,
    Availability,
    ConfigAck,
    EpisodeEnd,
    Heartbeat,
    Message,
    decode,
    encode,
    topics,
)
from streetorder.errors import ContractError
from streetorder.mqtt import connect_async, is_v5
from streetorder.platform.db import Database
from streetorder.platform.ingest import receipts
from streetorder.platform.ingest.mqtt import make_client
from streetorder.platform.services import ingest, ingest_trust
from streetorder.platform.services.ingest_trust import ClockWindow, Refusal
from streetorder.platform.services.rules import Rules
from streetorder.platform.settings import IngestSettings

log = logging.getLogger(__name__)

#: Topic suffix → the message kind it must carry.
EXPECTED: dict[str, type] = {
    "alerts": Alert,
    "episodes": EpisodeEnd,
    "status": Availability,
    "stats": Heartbeat,
    "config/ack": ConfigAck,
}
PLACEMENT_TTL_SECONDS = 30.0


@dataclass(frozen=True)
class Inbound:
    topic: str
    payload: bytes
    mid: int = 0
    qos: int = 0
    generation: int = 0  # the connection it arrived on (acks are only valid there)


def classify(topic: str, payload: bytes) -> Message:
    """Decode and check that the message belongs on its topic; ContractError says why not."""
    try:
        node = topics.node_of(topic)
    except ValueError as exc:
        raise ContractError(str(exc)) from None
    suffix = topic.split("/", 3)[3]
    expected = EXPECTED.get(suffix)
    if expected is None:
        raise ContractError(f"not an ingest topic: {topic}")
    message = decode(payload)
    if not isinstance(message, expected):
        raise ContractError(f"{message.kind} message on the {suffix} topic")
    if message.node_id != node:
        raise ContractError(f"node_id {message.node_id!r} differs from the topic's node {node!r}")
    return message


class IngestStats:
    """Counters of this replica (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.rejections: Counter[str] = Counter()
        self.last_error: str | None = None

    def add(self, **counts: int) -> None:
        with self._lock:
            self.counts.update(counts)

    def reject(self, category: str) -> None:
        """Count by category (a bounded label: reasons name nodes and ids; they are stored)."""
        with self._lock:
            self.counts["rejected"] += 1
            self.rejections[category] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                **dict(self.counts),
                "rejections": dict(self.rejections),
                "last_error": self.last_error,
            }


class BatchWriter:
    """Writes one batch of inbound messages in one transaction (no MQTT here: testable alone)."""

    def __init__(
        self, db: Database, rules: Rules, *, stats: IngestStats | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        settings: IngestSettings = IngestSettings(),
    ) -> None:  # fmt: skip
        self.db, self.rules, self.clock = db, rules, clock
        self.stats = stats or IngestStats()
        self.keep_rejected_bytes = settings.keep_rejected_payload_bytes
        self.window = ClockWindow.from_settings(settings)
        self._placements: dict[Any, ingest.Placement] = {}
        self._placements_at = 0.0

    def _placement_cache(self) -> dict[Any, ingest.Placement]:
        if time.monotonic() - self._placements_at > PLACEMENT_TTL_SECONDS:
            self._placements, self._placements_at = {}, time.monotonic()
        return self._placements

    def write(self, batch: list[Inbound]) -> list[receipts.Line]:
        """Raises on database errors (nothing is written then); the caller retries or splits.

        Returns the receipt lines of the alerts and episode ends, to publish after the commit.
        """
        now = self.clock()
        decoded: list[tuple[Inbound, Message]] = []
        rejected: list[tuple[Inbound, Refusal]] = []
        for item in batch:
            try:
                decoded.append((item, classify(item.topic, item.payload)))
            except ContractError as exc:
                rejected.append((item, Refusal(ingest_trust.INVALID, str(exc))))
        refused = _rejected_lines(rejected)  # an episode end before its alert is a retry
        counts: Counter[str] = Counter()
        lines: list[receipts.Line] = []
        with self.db.session() as session:
            named = {m.node_id for _, m in decoded if isinstance(m, (Alert, EpisodeEnd))}
            registry = ingest_trust.Registry(session, named)
            trusted: list[tuple[Inbound, Alert]] = []
            for item, message in decoded:
                if isinstance(message, Alert):
                    refusal = ingest_trust.alert_refusal(registry, self.window, message, now)
                    if refusal is None:
                        trusted.append((item, message))
                    else:
                        rejected.append((item, refusal))
                        lines.append(_refused_line(message, refusal))
            alerts = [m for _, m in trusted]
            if alerts:
                outcome = ingest.ingest_alerts(
                    session, alerts=alerts, rules=self.rules, now=now,
                    placements=self._placement_cache(),
                )  # fmt: skip
                conflicts = _conflicts(session, alerts, outcome)
                counts.update(
                    alerts_new=len(outcome.created),
                    alerts_duplicate=len(outcome.duplicates) - len(conflicts),
                    alerts_reminder=len(outcome.attached), alerts_conflict=len(conflicts),
                )  # fmt: skip
                lines += _alert_lines(alerts, outcome, conflicts)
                rejected += [(trusted[i][0], refusal) for i, refusal in conflicts.items()]
            for item, message in decoded:
                if isinstance(message, EpisodeEnd):
                    refusal = ingest_trust.episode_end_refusal(
                        session, registry, self.window, message, now
                    )
                    if refusal is not None:
                        rejected.append((item, refusal))
                        lines.append(_refused_line(message, refusal))
                        continue
                    stored = ingest.ingest_episode_end(
                        session, message=message, rules=self.rules, now=now
                    )
                    if stored:
                        counts["episode_ends"] += 1
                        lines.append(receipts.line(message.node_id, "episode_end",
                                                   message.alert_id, stored))  # fmt: skip
                    else:
                        reason = f"episode end for unknown alert {message.alert_id}"
                        rejected.append((item, Refusal(ingest_trust.INVALID, reason)))
                        lines.append(receipts.line(message.node_id, "episode_end",
                                                   message.alert_id, "retry", reason))  # fmt: skip
                elif isinstance(message, Heartbeat):
                    known = ingest.record_heartbeat(session, message=message, now=now)
                    counts["heartbeats" if known else "unknown_node_status"] += 1
                elif isinstance(message, Availability):
                    known = ingest.record_availability(session, message=message, now=now)
                    counts["availability" if known else "unknown_node_status"] += 1
                elif isinstance(message, ConfigAck):
                    if ingest.record_config_ack(session, message=message, now=now):
                        counts["config_acks"] += 1
                    else:
                        reason = f"node {message.node_id!r} is not registered"
                        rejected.append((item, Refusal(ingest_trust.UNTRUSTED, reason)))
            for item, refusal in rejected:
                ingest.record_rejection(
                    session, topic=item.topic, reason=refusal.reason, payload=item.payload,
                    now=now, keep_bytes=self.keep_rejected_bytes, category=refusal.category,
                )  # fmt: skip
        for item, refusal in rejected:
            log.warning("rejected message on %s: %s", item.topic, refusal.reason)
            self.stats.reject(refusal.category)
        counts["received"] += len(batch)
        self.stats.add(**counts)
        return lines + refused

    def write_robustly(
        self, batch: list[Inbound], stop: threading.Event,
        lines: list[receipts.Line] | None = None,
    ) -> bool:  # fmt: skip
        """Write a batch; retry while the database is unreachable, split a batch that fails
        otherwise and reject (record, count, acknowledge) the message that fails alone.

        Returns False only when stopped before the batch could be written (leave it unacked).
        The receipt lines of what was written are added to ``lines``.
        """
        lines = [] if lines is None else lines
        delay = 0.5
        while True:
            try:
                lines += self.write(batch)
                return True
            except OperationalError as exc:  # connection lost, database down, locked...
                self.stats.add(db_retries=1)
                self.stats.last_error = str(exc).splitlines()[0][:300]
                if stop.is_set():
                    return False
                log.error(
                    "database unavailable, retrying in %.1fs: %s", delay, self.stats.last_error
                )
                stop.wait(delay)
                delay = min(delay * 2, 30.0)
            except Exception as exc:  # noqa: BLE001 - a message the database or code refuses
                if len(batch) == 1:
                    if isinstance(exc, DBAPIError):
                        detail = str(exc.orig).splitlines()[0][:200]
                        reason = f"database refused the message: {detail}"
                    else:
                        log.exception("internal error on a message on %s", batch[0].topic)
                        reason = f"internal error: {type(exc).__name__}: {str(exc)[:200]}"
                    self._reject_alone(batch[0], reason)
                    lines += _rejected_lines([(batch[0], Refusal(ingest_trust.ERROR, reason))])
                    return True
                return all(self.write_robustly([item], stop, lines) for item in batch)

    def _reject_alone(self, item: Inbound, reason: str) -> None:
        log.warning("rejected message on %s: %s", item.topic, reason)
        self.stats.reject(ingest_trust.ERROR)
        try:
            with self.db.session() as session:
                ingest.record_rejection(
                    session, topic=item.topic, reason=reason, payload=item.payload,
                    now=self.clock(), keep_bytes=self.keep_rejected_bytes,
                    category=ingest_trust.ERROR,
                )  # fmt: skip
        except DBAPIError:
            log.exception("could not store the rejection of a message on %s", item.topic)


def _copies(alerts: list[Alert], outcome: ingest.IngestOutcome) -> list[str]:
    """Per alert of the batch, in order: ``stored`` (its first stored copy), ``duplicate`` or
    ``missing``."""
    stored = {*outcome.created, *outcome.attached}
    known = stored | set(outcome.duplicates)
    found, seen = [], set()
    for alert in alerts:
        if alert.alert_id in stored and alert.alert_id not in seen:
            found.append("stored")
        else:
            found.append("duplicate" if alert.alert_id in known else "missing")
        seen.add(alert.alert_id)
    return found


def _conflicts(
    session, alerts: list[Alert], outcome: ingest.IngestOutcome
) -> dict[int, Refusal]:  # fmt: skip
    """Index in ``alerts`` → conflict, for duplicates whose content differs from the stored."""
    copies = _copies(alerts, outcome)
    duplicates = [i for i, copy in enumerate(copies) if copy == "duplicate"]
    if not duplicates:
        return {}
    stored = ingest_trust.stored_fingerprints(session, (alerts[i].alert_id for i in duplicates))
    found = {}
    for i in duplicates:
        alert = alerts[i]
        refusal = ingest_trust.conflict(
            alert.alert_id, stored.get(alert.alert_id), ingest_trust.content_sha256(alert)
        )
        if refusal is not None:
            found[i] = refusal
    return found


def _alert_lines(
    alerts: list[Alert], outcome: ingest.IngestOutcome, conflicts: dict[int, Refusal]
) -> list[receipts.Line]:
    """One line per alert of the batch, in order: the first stored copy ``stored``, the rest
    ``duplicate``, a conflict ``rejected`` with its reason."""
    lines = []
    for i, (alert, copy) in enumerate(zip(alerts, _copies(alerts, outcome), strict=True)):
        if i in conflicts:
            lines.append(_refused_line(alert, conflicts[i]))
            continue
        result, reason = (copy, "") if copy != "missing" else ("rejected", "not stored")
        lines.append(receipts.line(alert.node_id, "alert", alert.alert_id, result, reason))
    return lines


def _refused_line(message: Alert | EpisodeEnd, refusal: Refusal) -> receipts.Line:
    kind = "alert" if isinstance(message, Alert) else "episode_end"
    return receipts.line(message.node_id, kind, message.alert_id, "rejected", refusal.reason)


def _rejected_lines(rejected: list[tuple[Inbound, Refusal]]) -> list[receipts.Line]:
    found = (receipts.rejected_line(item.topic, item.payload, refusal.reason)
             for item, refusal in rejected)  # fmt: skip
    return [line for line in found if line is not None]


def replica_client_id(broker: BrokerConfig, settings: IngestSettings) -> str | None:
    """The stable client id of this replica's persistent session (None: a throwaway one).

    Stable across restarts on one host, so the broker keeps queueing QoS 1 messages for the
    replica's shared subscriptions while it is down and hands them over when it is back.
    """
    if broker.client_id is not None:
        return broker.client_id
    if not settings.persistent_session:
        return None
    host = re.sub(r"[^A-Za-z0-9_-]", "-", socket.gethostname())[:40] or "host"
    return f"streetorder-platform-{settings.share_group}-{host}"


class IngestConsumer:
    """Subscribes, batches and writes; ``start()`` / ``stop()`` mirror each other."""

    def __init__(
        self, broker: BrokerConfig, db: Database, rules: Rules, *,
        settings: IngestSettings = IngestSettings(), client_id: str | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:  # fmt: skip
        self.broker, self.settings = broker, settings
        self.stats = IngestStats()
        self.writer = BatchWriter(db, rules, stats=self.stats, clock=clock, settings=settings)
        self.persistent = client_id is not None or broker.client_id is not None
        self.client_id = (
            client_id or broker.client_id or f"streetorder-platform-{uuid.uuid4().hex[:8]}"
        )
        self.client = make_client(
            broker, self.client_id, persistent=self.persistent, manual_ack=True
        )
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.inbox: queue.Queue[Inbound] = queue.Queue()
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._generation = 0
        self._thread: threading.Thread | None = None

    @property
    def subscriptions(self) -> list[tuple[str, int]]:
        group = self.settings.share_group
        shared = [topics.ALL_ALERTS, topics.ALL_EPISODES, topics.ALL_STATS, topics.ALL_CONFIG_ACKS]
        if not is_v5(self.broker):  # MQTT 3.1.1 has no shared subscriptions: one replica only
            return [(t, 1) for t in shared] + [(topics.ALL_STATUS, 1)]
        # Retained status is never delivered to shared subscriptions: every replica reads it.
        return [(topics.shared(group, t), 1) for t in shared] + [(topics.ALL_STATUS, 1)]

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="ingest-writer", daemon=True)
        self._thread.start()
        # Unacknowledged messages the broker may send us: room for a few batches, since we
        # acknowledge only after commit (the broker's own max_inflight_messages also applies).
        # A persistent consumer's queue is kept by the broker while it is away.
        connect_async(
            self.client, self.broker, persistent=self.persistent,
            session_expiry_seconds=7 * 24 * 3600,
            receive_maximum=min(65535, max(100, 4 * self.settings.batch_size)),
        )  # fmt: skip
        self.client.loop_start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the batch in hand, then disconnect."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.client.disconnect()
        self.client.loop_stop()
        self.connected.clear()

    def wait_connected(self, timeout: float) -> bool:
        return self.connected.wait(timeout)

    def snapshot(self) -> dict[str, Any]:
        return {**self.stats.snapshot(), "queued": self.inbox.qsize(), "client_id": self.client_id}

    # -- paho callbacks (network thread) ---------------------------------------------------

    def _on_connect(self, client, userdata, flags, reason, properties) -> None:
        if reason.is_failure:
            log.error(
                "broker %s:%s refused the connection: %s",
                self.broker.host,
                self.broker.port,
                reason,
            )
            return
        self._generation += 1
        client.subscribe(self.subscriptions)
        log.info(
            "ingest connected to %s:%s as %s", self.broker.host, self.broker.port, self.client_id
        )
        self.connected.set()

    def _on_disconnect(self, client, userdata, flags, reason, properties) -> None:
        self.connected.clear()
        if not self._stop.is_set():
            log.warning("ingest disconnected (%s); reconnecting", reason)

    def _on_message(self, client, userdata, message) -> None:
        self.inbox.put(
            Inbound(
                message.topic, bytes(message.payload), message.mid, message.qos, self._generation
            )
        )

    def _send_receipts(self, lines: list[receipts.Line]) -> None:
        """QoS 1, not awaited: a lost receipt costs the edge one re-send."""
        for topic, receipt in receipts.receipts(lines, datetime.now(UTC)):
            self.client.publish(topic, encode(receipt), qos=1)
            self.stats.add(receipts=1)

    # -- writer thread ---------------------------------------------------------------------

    def _collect(self) -> list[Inbound]:
        try:
            first = self.inbox.get(timeout=0.2)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.settings.batch_wait_ms / 1000
        while len(batch) < self.settings.batch_size:
            remaining = deadline - time.monotonic()
            try:
                batch.append(
                    self.inbox.get(timeout=remaining) if remaining > 0 else self.inbox.get_nowait()
                )
            except queue.Empty:
                break
        return batch

    def _run(self) -> None:
        while not self._stop.is_set() or not self.inbox.empty():
            batch = self._collect()
            if not batch:
                if self._stop.is_set():
                    return
                continue
            lines: list[receipts.Line] = []
            try:
                written = self.writer.write_robustly(batch, self._stop, lines)
            except Exception:  # noqa: BLE001 - never let the writer die
                log.exception("unexpected ingest error; the batch stays unacknowledged")
                self.stats.add(unexpected_errors=1)
                continue
            if not written:
                return
            self._send_receipts(lines)
            for item in batch:
                if item.qos > 0 and item.generation == self._generation:
                    self.client.ack(item.mid, item.qos)
            self.stats.add(batches=1)
