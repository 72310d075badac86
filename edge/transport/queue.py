"""Durable store-and-forward outbox: messages survive restarts and power cuts until receipted.

An alert is written here (committed and fsynced: WAL, ``synchronous=FULL``) *before* anything
tries to publish it. Order is the insertion order (``seq``). Enqueueing is idempotent by
message id, so a pipeline that re-emits the same alert after a restart does not queue it twice
while it is still waiting.

States: ``queued`` (to publish) → ``sent`` (the broker's PUBACK came; alerts and episode ends
now wait for the platform's end-to-end receipt, and go back to ``queued`` when it does not come
in time) → deleted on a ``stored``/``duplicate`` receipt, or ``failed`` (kept, with the
platform's reason) on a ``rejected`` one. Messages that need no receipt (config acks) are
deleted on their PUBACK.

Bound policy: the database may not grow beyond ``max_bytes`` (SQLite ``max_page_count``) nor
hold more than ``max_messages``. When either limit is hit, or the disk itself is full, the
*oldest* messages are dropped to make room for the new one (the freshest alerts matter most
to someone who can still act on them); every dropped message is logged with its id and counted
in :attr:`Outbox.dropped_total`. Only when nothing is left to drop does :meth:`Outbox.put`
raise :class:`OutboxFullError`.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    msg_id TEXT NOT NULL UNIQUE,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    qos INTEGER NOT NULL DEFAULT 1,
    retain INTEGER NOT NULL DEFAULT 0,
    enqueued_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox_meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""
#: Columns added for end-to-end receipts (an older outbox.db gets them on open).
_RECEIPT_COLUMNS = {
    "state": "TEXT NOT NULL DEFAULT 'queued'",
    "awaits_receipt": "INTEGER NOT NULL DEFAULT 0",
    "attempts": "INTEGER NOT NULL DEFAULT 0",
    "resend_at": "REAL",
    "reason": "TEXT",
}
#: Topic suffixes whose messages the platform receipts.
RECEIPTED_SUFFIXES = ("/alerts", "/episodes")
QUEUED, SENT, FAILED = "queued", "sent", "failed"


class OutboxFullError(RuntimeError):
    """Nothing could be dropped and the message still does not fit."""


@dataclass(frozen=True)
class QueuedMessage:
    seq: int
    msg_id: str
    topic: str
    payload: bytes
    qos: int
    retain: bool


def open_database(path: str | Path) -> sqlite3.Connection:
    """A connection tuned for durability: WAL journal, fsync on every commit."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA journal_size_limit=8388608")
    return conn


def awaits_receipt(topic: str) -> bool:
    """Alerts and episode ends stay in the outbox until the platform's receipt names them."""
    return topic.endswith(RECEIPTED_SUFFIXES)


def _is_full(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code == sqlite3.SQLITE_FULL or "full" in str(exc).lower()


class Outbox:
    """A FIFO of MQTT messages in SQLite, shared by many producers and one drainer (thread-safe)."""

    def __init__(
        self,
        path: str | Path,
        *,
        max_bytes: int = 1 << 30,
        max_messages: int = 1_000_000,
    ) -> None:
        if max_bytes < 64 * 1024:
            raise ValueError("max_bytes must be at least 64 KiB")
        if max_messages < 1:
            raise ValueError("max_messages must be at least 1")
        self.path = Path(path)
        self.max_messages = max_messages
        self._lock = threading.RLock()
        self._conn = open_database(self.path)
        page_size = self._conn.execute("PRAGMA page_size").fetchone()[0]
        self._conn.execute(f"PRAGMA max_page_count={max(16, max_bytes // page_size)}")
        self._conn.executescript(_SCHEMA)
        self._add_receipt_columns()
        self._requeue_unreceipted()
        self._listeners: list[Callable[[], None]] = []

    def _requeue_unreceipted(self) -> None:
        """On opening (a node start): what was sent before without a receipt goes again first,
        not after its backoff; the platform answers a duplicate with a receipt."""
        with self._transaction():
            count = self._conn.execute(
                "UPDATE outbox SET state = 'queued' WHERE state = 'sent'"
            ).rowcount
        if count:
            log.info("%d message(s) sent before without a receipt: publishing again", count)

    def _add_receipt_columns(self) -> None:
        have = {row[1] for row in self._conn.execute("PRAGMA table_info(outbox)")}
        missing = [name for name in _RECEIPT_COLUMNS if name not in have]
        if missing:
            with self._transaction():
                for name in missing:
                    self._conn.execute(
                        f"ALTER TABLE outbox ADD COLUMN {name} {_RECEIPT_COLUMNS[name]}"
                    )
                self._conn.execute(
                    "UPDATE outbox SET awaits_receipt = 1"
                    " WHERE topic LIKE '%/alerts' OR topic LIKE '%/episodes'"
                )
        self._conn.execute("CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state, resend_at)")

    # -- producers -------------------------------------------------------------------------

    def put(
        self, msg_id: str, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False
    ) -> bool:
        """Store a message durably; return False if a message with this id is already queued."""
        if not msg_id:
            raise ValueError("msg_id must not be empty")
        with self._lock:
            while True:
                try:
                    inserted = self._insert(msg_id, topic, payload, qos, retain)
                    break
                except sqlite3.OperationalError as exc:
                    if not _is_full(exc):
                        raise
                    if self._drop_oldest(max(1, len(self) // 10)) == 0:
                        raise OutboxFullError(
                            f"outbox {self.path} is full and empty: message {msg_id} "
                            f"({len(payload)} bytes) does not fit"
                        ) from exc
            if inserted:
                over = len(self) - self.max_messages
                if over > 0:
                    self._drop_oldest(over, keep=msg_id)
        if inserted:
            for listener in self._listeners:
                listener()
        return inserted

    def _insert(self, msg_id: str, topic: str, payload: bytes, qos: int, retain: bool) -> bool:
        with self._transaction():
            cur = self._conn.execute(
                "INSERT OR IGNORE INTO outbox"
                " (msg_id, topic, payload, qos, retain, enqueued_at, awaits_receipt)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (msg_id, topic, payload, qos, int(retain), time.time(), awaits_receipt(topic)),
            )
            return cur.rowcount == 1

    def _drop_oldest(self, count: int, keep: str | None = None) -> int:
        rows = self._conn.execute(
            "SELECT seq, msg_id FROM outbox WHERE msg_id != ? ORDER BY seq LIMIT ?",
            (keep or "", count),
        ).fetchall()
        if not rows:
            return 0
        with self._transaction():
            self._conn.execute("DELETE FROM outbox WHERE seq <= ?", (rows[-1][0],))
            self._conn.execute(
                "INSERT INTO outbox_meta (key, value) VALUES ('dropped_total', ?)"
                " ON CONFLICT(key) DO UPDATE SET value = value + excluded.value",
                (len(rows),),
            )
        log.error(
            "outbox full: dropped the %d oldest message(s), ids %s",
            len(rows),
            ", ".join(r[1] for r in rows[:20]) + (" ..." if len(rows) > 20 else ""),
        )
        return len(rows)

    # -- the drainer -----------------------------------------------------------------------

    def peek(self, limit: int, after_seq: int = 0) -> list[QueuedMessage]:
        """The oldest ``limit`` queued messages with ``seq > after_seq``, in order."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, msg_id, topic, payload, qos, retain FROM outbox"
                " WHERE state = 'queued' AND seq > ? ORDER BY seq LIMIT ?",
                (after_seq, limit),
            ).fetchall()
        return [QueuedMessage(r[0], r[1], r[2], bytes(r[3]), r[4], bool(r[5])) for r in rows]

    def remove(self, seq: int) -> None:
        """Forget a message."""
        with self._lock, self._transaction():
            self._conn.execute("DELETE FROM outbox WHERE seq = ?", (seq,))

    def published(self, seq: int, resend_after: Callable[[int], float]) -> None:
        """The broker acknowledged a queued message: delete it, or, when it awaits a receipt,
        keep it ``sent`` until ``resend_after(attempts)`` seconds from now."""
        with self._lock, self._transaction():
            row = self._conn.execute(
                "SELECT awaits_receipt, attempts FROM outbox WHERE seq = ? AND state = 'queued'",
                (seq,),
            ).fetchone()
            if row is None:  # receipted (or dropped) before its PUBACK was handled
                return
            if not row[0]:
                self._conn.execute("DELETE FROM outbox WHERE seq = ?", (seq,))
                return
            attempts = row[1] + 1
            self._conn.execute(
                "UPDATE outbox SET state = 'sent', attempts = ?, resend_at = ? WHERE seq = ?",
                (attempts, time.time() + resend_after(attempts), seq),
            )

    def requeue_due(self, now: float | None = None) -> int | None:
        """Put ``sent`` messages whose receipt is overdue back in the queue; the lowest seq."""
        now = time.time() if now is None else now
        with self._lock:
            first, count = self._conn.execute(
                "SELECT MIN(seq), COUNT(*) FROM outbox WHERE state = 'sent' AND resend_at <= ?",
                (now,),
            ).fetchone()
            if not count:  # the usual case: no write transaction, no fsync
                return None
            with self._transaction():
                self._conn.execute(
                    "UPDATE outbox SET state = 'queued' WHERE state = 'sent' AND resend_at <= ?",
                    (now,),
                )
        log.info("%d message(s) without a receipt: publishing again", count)
        return first

    def settle(self, msg_id: str, outcome: str, reason: str = "") -> bool:
        """Apply the platform's receipt to a message; False when no such message is waiting.

        ``stored``/``duplicate`` delete it, ``rejected`` marks it failed with the reason,
        ``retry`` leaves it to be re-sent on its schedule.
        """
        with self._lock, self._transaction():
            if outcome in ("stored", "duplicate"):
                cur = self._conn.execute("DELETE FROM outbox WHERE msg_id = ?", (msg_id,))
            elif outcome == "rejected":
                cur = self._conn.execute(
                    "UPDATE outbox SET state = 'failed', reason = ? WHERE msg_id = ?",
                    (reason or "rejected", msg_id),
                )
            else:
                cur = self._conn.execute("SELECT 1 FROM outbox WHERE msg_id = ?", (msg_id,))
                return cur.fetchone() is not None
            return cur.rowcount > 0

    def add_listener(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` (from the producer's thread) after every new message."""
        self._listeners.append(callback)

    # -- metrics ---------------------------------------------------------------------------

    def __len__(self) -> int:
        """Messages still to deliver: queued or awaiting their receipt (failed ones excluded)."""
        with self._lock:
            return self._conn.execute(
                "SELECT COUNT(*) FROM outbox WHERE state != 'failed'"
            ).fetchone()[0]

    def count(self, state: str) -> int:
        """Messages in one state: ``queued``, ``sent`` (awaiting a receipt) or ``failed``."""
        with self._lock:
            return self._conn.execute(
                "SELECT COUNT(*) FROM outbox WHERE state = ?", (state,)
            ).fetchone()[0]

    def oldest_age(self, now: float | None = None) -> float:
        """Seconds the oldest message still to deliver has waited (0 when none waits)."""
        with self._lock:
            oldest = self._conn.execute(
                "SELECT MIN(enqueued_at) FROM outbox WHERE state != 'failed'"
            ).fetchone()[0]
        return 0.0 if oldest is None else max(0.0, (now or time.time()) - oldest)

    def failed(self) -> list[tuple[str, str]]:
        """(message id, the platform's reason) of every message the platform rejected."""
        with self._lock:
            return [
                (r[0], r[1] or "")
                for r in self._conn.execute(
                    "SELECT msg_id, reason FROM outbox WHERE state = 'failed' ORDER BY seq"
                )
            ]

    @property
    def dropped_total(self) -> int:
        """Messages dropped, ever, because the outbox was full (persisted across restarts)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT value FROM outbox_meta WHERE key = 'dropped_total'"
            ).fetchone()
        return row[0] if row else 0

    def ids(self) -> list[str]:
        """Ids of the messages still to deliver, oldest first."""
        with self._lock:
            return [
                r[0]
                for r in self._conn.execute(
                    "SELECT msg_id FROM outbox WHERE state != 'failed' ORDER BY seq"
                )
            ]

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if self._conn.in_transaction:  # SQLITE_FULL has already rolled back
                self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")
