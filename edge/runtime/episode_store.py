"""Durable per-zone episode state: ``{storage}/episodes.db`` (SQLite, a file of its own).

One row per (camera, zone) with an ongoing episode (see ``edge/episode_state.py`` for what is
stored and what a restart makes of it). Written by the camera pipelines when an episode changes,
read once when a camera's pipeline starts. The outbox (``outbox.db``) stays a queue only.

A store that cannot be read (corrupt file, wrong schema) is moved aside with one clear log line
and the node starts fresh: losing episode state costs at most a duplicate-looking alert, never
the node.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Collection
from pathlib import Path

from streetorder.edge.dwell import Phase
from streetorder.edge.episode_state import ZoneRecord

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS episodes (
    camera_id TEXT NOT NULL,
    zone_id TEXT NOT NULL,
    phase TEXT NOT NULL,
    started_at REAL NOT NULL,
    last_occupied_at REAL NOT NULL,
    last_t REAL NOT NULL,
    last_alert_at REAL,
    alerts INTEGER NOT NULL,
    seen INTEGER NOT NULL,
    occupied INTEGER NOT NULL,
    first_alert_id TEXT,
    episode_key TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (camera_id, zone_id)
)
"""
_COLUMNS = (
    "phase, started_at, last_occupied_at, last_t, last_alert_at, alerts, seen, occupied, "
    "first_alert_id, episode_key"
)


class EpisodeStore:
    """Thread-safe (one connection, one lock): camera workers write from their own threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            self._db = self._open()
        except sqlite3.DatabaseError as exc:
            aside = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
            log.error(
                "episode store %s is unreadable (%s): moved to %s, starting with no stored "
                "episodes",
                path,
                exc,
                aside.name,
            )
            for suffix in ("", "-wal", "-shm"):
                src = Path(f"{path}{suffix}")
                if src.exists():
                    src.replace(Path(f"{aside}{suffix}"))
            self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute(_SCHEMA)
            _add_episode_key(db)
            db.execute(f"SELECT {_COLUMNS} FROM episodes LIMIT 1").fetchall()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def camera(self, camera_id: str) -> CameraEpisodes:
        return CameraEpisodes(self, camera_id)

    def load(self, camera_id: str) -> dict[str, ZoneRecord]:
        """The stored episodes of a camera by zone id; rows that do not parse are dropped."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT zone_id, {_COLUMNS} FROM episodes WHERE camera_id = ?", (camera_id,)
            ).fetchall()
        out: dict[str, ZoneRecord] = {}
        for zone_id, *values in rows:
            try:
                phase = Phase(values[0])
                if phase is Phase.IDLE:
                    raise ValueError("idle")
                out[zone_id] = ZoneRecord(phase, *values[1:])
            except (ValueError, TypeError) as exc:
                log.error(
                    "episode store: camera %s zone %s: bad row (%s), dropped",
                    camera_id,
                    zone_id,
                    exc,
                )
                self.delete(camera_id, zone_id)
        return out

    def save(self, camera_id: str, zone_id: str, record: ZoneRecord) -> None:
        values = (
            camera_id,
            zone_id,
            record.phase.value,
            record.started_at,
            record.last_occupied_at,
            record.last_t,
            record.last_alert_at,
            record.alerts,
            record.seen,
            record.occupied,
            record.first_alert_id,
            record.episode_key,
        )
        with self._lock:
            self._db.execute(
                f"INSERT OR REPLACE INTO episodes (camera_id, zone_id, {_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                values,
            )

    def delete(self, camera_id: str, zone_id: str) -> None:
        with self._lock:
            self._db.execute(
                "DELETE FROM episodes WHERE camera_id = ? AND zone_id = ?", (camera_id, zone_id)
            )

    def retain_cameras(self, camera_ids: Collection[str]) -> None:
        """Drop the episodes of cameras no longer configured."""
        with self._lock:
            stored = [r[0] for r in self._db.execute("SELECT DISTINCT camera_id FROM episodes")]
            for cid in stored:
                if cid not in camera_ids:
                    self._db.execute("DELETE FROM episodes WHERE camera_id = ?", (cid,))
                    log.info("episode store: camera %s is no longer configured, dropped", cid)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _add_episode_key(db: sqlite3.Connection) -> None:
    """Stores written before episode keys existed get the column; their episodes keep the
    empty key, hence their ids."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(episodes)")}
    if "episode_key" not in columns:
        db.execute("ALTER TABLE episodes ADD COLUMN episode_key TEXT NOT NULL DEFAULT ''")


class CameraEpisodes:
    """One camera's view of the store: what a :class:`CameraPipeline` is given."""

    def __init__(self, store: EpisodeStore, camera_id: str) -> None:
        self.store, self.camera_id = store, camera_id

    def load(self) -> dict[str, ZoneRecord]:
        return self.store.load(self.camera_id)

    def save(self, zone_id: str, record: ZoneRecord) -> None:
        self.store.save(self.camera_id, zone_id, record)

    def delete(self, zone_id: str) -> None:
        self.store.delete(self.camera_id, zone_id)
