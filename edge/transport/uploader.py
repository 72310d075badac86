"""Evidence upload to the platform over HTTP, durable across restarts, with retries and backoff.

Each file of an alert is a row in the ``uploads`` table (same SQLite file as the outbox) until
the platform stores it: ``PUT {url}/api/v1/alerts/{alert_id}/evidence/{filename}`` with the raw
bytes, the node's bearer token and ``X-Content-Sha256``.

Answers: 201/200 done (row deleted). 409 with Retry-After (alert not received yet), 408/429/5xx,
network errors, 401/403 (a token may be fixed): retry later with exponential backoff.
400/404/413/422, a 409 without Retry-After (the platform already stores other bytes under that
name: evidence is write-once) and a local file that is missing or no longer matches its recorded
hash: failed for good (kept with the reason, never retried).
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from streetorder.contracts import EvidenceRef
from streetorder.edge.transport.queue import open_database

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS uploads (
    alert_id TEXT NOT NULL,
    filename TEXT NOT NULL,
    path TEXT NOT NULL,
    content_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    PRIMARY KEY (alert_id, filename)
);
CREATE INDEX IF NOT EXISTS uploads_due ON uploads (state, next_attempt_at);
"""

PERMANENT = {400, 404, 410, 413, 422}
#: Waits for the alert (409 + Retry-After) logged at DEBUG before the uploader says so (INFO).
QUIET_WAITS = 3


@dataclass(frozen=True)
class Upload:
    alert_id: str
    filename: str
    path: Path
    content_type: str
    sha256: str
    attempts: int


@dataclass(frozen=True)
class Outcome:
    """What one attempt gave: done, retry later, or failed for good; with the reason."""

    kind: str  # "done" | "retry" | "failed"
    reason: str
    #: the platform asked to wait (409 + Retry-After: the alert, sent over MQTT, is not stored
    #: yet): the normal race of a fresh alert, logged quietly for its first attempts
    waiting: bool = False


class EvidenceUploader:
    """Upload pending evidence files in the background; pending rows survive restarts."""

    def __init__(
        self,
        db_path: str | Path,
        url: str,
        token: str | None,
        *,
        timeout: float = 30.0,
        backoff_base: float = 2.0,
        backoff_max: float = 600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.clock = clock
        self.uploaded_total = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._conn = open_database(db_path)
        self._conn.executescript(_SCHEMA)
        self._thread: threading.Thread | None = None

    # -- producers -------------------------------------------------------------------------

    def add(self, alert_id: str, files: list[tuple[EvidenceRef, Path]]) -> None:
        """Remember files to upload (idempotent per alert and filename)."""
        now = self.clock()
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for ref, path in files:
                    self._conn.execute(
                        "INSERT OR IGNORE INTO uploads (alert_id, filename, path, content_type,"
                        " sha256, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (alert_id, ref.filename, str(path), ref.content_type, ref.sha256, now, now),
                    )
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        self._wake.set()

    # -- worker ----------------------------------------------------------------------------

    def start(self, stop: threading.Event) -> None:
        self._thread = threading.Thread(
            target=self.run, args=(stop,), name="evidence-uploader", daemon=True
        )
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self._wake.clear()
            try:
                worked = self.step(stop=stop)
            except Exception:
                log.exception("evidence upload step failed")
                worked = 0
            if not worked:
                self._wake.wait(min(1.0, self._seconds_to_next_due()))

    def step(self, limit: int = 20, stop: threading.Event | None = None) -> int:
        """Try the uploads that are due now; return how many were attempted."""
        due = self._due(limit)
        for upload in due:
            if stop is not None and stop.is_set():
                break
            self._record(upload, self.attempt(upload))
        return len(due)

    def attempt(self, upload: Upload) -> Outcome:
        try:
            body = upload.path.read_bytes()
        except FileNotFoundError:
            return Outcome("failed", f"file {upload.path} is missing")
        except OSError as exc:
            return Outcome("retry", f"cannot read {upload.path}: {exc}")
        if hashlib.sha256(body).hexdigest() != upload.sha256:
            return Outcome("failed", f"file {upload.path} no longer matches its sha256")
        url = (
            f"{self.base_url}/api/v1/alerts/{quote(upload.alert_id, safe='')}"
            f"/evidence/{quote(upload.filename, safe='')}"
        )
        headers = {"Content-Type": upload.content_type, "X-Content-Sha256": upload.sha256}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(url, data=body, headers=headers, method="PUT")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return Outcome("done", f"HTTP {response.status}")
        except urllib.error.HTTPError as exc:
            detail = exc.read(500).decode("utf-8", "replace").strip()
            reason = f"HTTP {exc.code}: {detail}" if detail else f"HTTP {exc.code}"
            final = exc.code in PERMANENT or (
                exc.code == 409 and not exc.headers.get("Retry-After")
            )
            waiting = exc.code == 409 and not final
            return Outcome("failed" if final else "retry", reason, waiting=waiting)
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            return Outcome("retry", f"platform unreachable: {getattr(exc, 'reason', exc)}")

    # -- state -----------------------------------------------------------------------------

    def _due(self, limit: int) -> list[Upload]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT alert_id, filename, path, content_type, sha256, attempts FROM uploads"
                " WHERE state = 'pending' AND next_attempt_at <= ?"
                " ORDER BY next_attempt_at, created_at LIMIT ?",
                (self.clock(), limit),
            ).fetchall()
        return [Upload(r[0], r[1], Path(r[2]), r[3], r[4], r[5]) for r in rows]

    def _record(self, upload: Upload, outcome: Outcome) -> None:
        key = (upload.alert_id, upload.filename)
        with self._lock:
            if outcome.kind == "done":
                self._conn.execute("DELETE FROM uploads WHERE alert_id = ? AND filename = ?", key)
                self.uploaded_total += 1
                return
            if outcome.kind == "failed":
                log.error("evidence %s/%s failed for good: %s", *key, outcome.reason)
                self._conn.execute(
                    "UPDATE uploads SET state = 'failed', attempts = attempts + 1,"
                    " last_error = ? WHERE alert_id = ? AND filename = ?",
                    (outcome.reason, *key),
                )
                return
            delay = self.backoff(upload.attempts)
            quiet = outcome.waiting and upload.attempts < QUIET_WAITS
            log.log(
                logging.DEBUG if quiet else logging.INFO,
                "evidence %s/%s: %s; retry in %.0f s", *key, outcome.reason, delay,
            )  # fmt: skip
            self._conn.execute(
                "UPDATE uploads SET attempts = attempts + 1, last_error = ?,"
                " next_attempt_at = ? WHERE alert_id = ? AND filename = ?",
                (outcome.reason, self.clock() + delay, *key),
            )

    def backoff(self, attempts: int) -> float:
        """Exponential with jitter: base·2^attempts, at most ``backoff_max``, ±20 %."""
        delay = min(self.backoff_max, self.backoff_base * (2 ** min(attempts, 30)))
        return delay * random.uniform(0.8, 1.2)

    def _seconds_to_next_due(self) -> float:
        with self._lock:
            row = self._conn.execute(
                "SELECT MIN(next_attempt_at) FROM uploads WHERE state = 'pending'"
            ).fetchone()
        return 3600.0 if row[0] is None else max(0.0, row[0] - self.clock())

    def pending(self) -> int:
        with self._lock:
            q = "SELECT COUNT(*) FROM uploads WHERE state = 'pending'"
            return self._conn.execute(q).fetchone()[0]

    def pending_files(self) -> set[str]:
        """Names of the files still to upload."""
        with self._lock:
            rows = self._conn.execute("SELECT filename FROM uploads WHERE state = 'pending'")
            return {r[0] for r in rows}

    def failed(self) -> list[tuple[str, str, str]]:
        """(alert id, filename, reason) of uploads that will not be retried."""
        with self._lock:
            return self._conn.execute(
                "SELECT alert_id, filename, last_error FROM uploads WHERE state = 'failed'"
                " ORDER BY created_at"
            ).fetchall()

    def attempts_of(self, alert_id: str, filename: str) -> int:
        with self._lock:
            row = self._conn.execute(
                "SELECT attempts FROM uploads WHERE alert_id = ? AND filename = ?",
                (alert_id, filename),
            ).fetchone()
        return row[0] if row else 0

    def close(self) -> None:
        with self._lock:
            self._conn.close()
