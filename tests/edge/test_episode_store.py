"""Episode state survives a restart: the pure restore decisions, the SQLite store, and a
``CameraPipeline`` rebuilt on the same store (the frame times are the injected clock)."""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from streetorder.contracts import (
    Alert,
    CameraConfig,
    EpisodeEnd,
    ZoneConfig,
    ZoneRules,
    stable_alert_id,
)
from streetorder.edge.dwell import DwellState, Phase
from streetorder.edge.episode_state import (
    Outcome,
    ZoneRecord,
    needs_write,
    resume,
    snapshot,
)
from streetorder.edge.pipeline import CameraPipeline
from streetorder.edge.runtime.episode_store import EpisodeStore
from tests.edge.blocks import BlockDetector, scene

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
RULES = ZoneRules(dwell_seconds=10, clear_seconds=6, grace_seconds=2, reminder_seconds=8)
LEFT = ((0.0, 0.4), (0.45, 0.4), (0.45, 1.0), (0.0, 1.0))
RIGHT = ((0.55, 0.4), (1.0, 0.4), (1.0, 1.0), (0.55, 1.0))
GOODS = ("goods", (40, 100, 80, 130))  # in LEFT on a 320x180 frame
SIZE = (320, 180)


def alerted(started: float = 100.0, last: float = 130.0) -> ZoneRecord:
    return ZoneRecord(
        phase=Phase.ALERTED,
        started_at=started,
        last_occupied_at=last,
        last_t=last,
        last_alert_at=started + 10,
        alerts=1,
        seen=30,
        occupied=30,
        first_alert_id="a-1",
    )


# -- pure decisions -------------------------------------------------------------------------


def test_a_gap_within_clear_plus_grace_continues_the_same_episode() -> None:
    decision = resume(alerted(), RULES, 130.0 + 8.0)  # clear 6 + grace 2
    assert decision.outcome is Outcome.CONTINUE and decision.first_alert_id == "a-1"
    assert decision.state is not None
    assert decision.state.phase is Phase.ALERTED and decision.state.started_at == 100.0
    assert decision.state.alerts == 1 and decision.state.last_alert_at == 110.0


def test_a_longer_gap_closes_an_alerted_episode_and_drops_a_pending_one() -> None:
    assert resume(alerted(), RULES, 138.5).outcome is Outcome.CLOSE
    assert resume(alerted(), RULES, 138.5).first_alert_id == "a-1"
    pending = ZoneRecord(Phase.PENDING, 100.0, 105.0, 105.0, seen=5, occupied=5)
    assert resume(pending, RULES, 112.0).outcome is Outcome.CONTINUE
    assert resume(pending, RULES, 114.0).outcome is Outcome.DROP


def test_a_source_replaying_its_past_drops_the_stored_episode() -> None:
    # a video file re-analysed from its anchor: its first frame lies before the stored one
    assert resume(alerted(), RULES, 50.0).outcome is Outcome.DROP


def test_an_alert_not_yet_emitted_is_stored_as_pending() -> None:
    state = DwellState(Phase.ALERTED, 100.0, 112.0, 110.0, 1, 112.0, 12, 12)
    waiting = snapshot(state, "a-1", emitted=0)  # still waiting for its clip frames
    assert waiting is not None and waiting.phase is Phase.PENDING
    assert waiting.first_alert_id is None and waiting.alerts == 0
    sent = snapshot(state, "a-1", emitted=1)
    assert sent is not None and sent.phase is Phase.ALERTED and sent.first_alert_id == "a-1"
    assert snapshot(DwellState(), None, 0) is None


def test_writes_follow_changes_and_a_checkpoint_not_every_frame() -> None:
    old = alerted(last=130.0)
    later = ZoneRecord(**{**old.__dict__, "last_occupied_at": 131.0, "last_t": 131.0})
    assert not needs_write(old, later, RULES)  # checkpoint: min(5, (6 + 2) / 4) = 2 s
    much_later = ZoneRecord(**{**old.__dict__, "last_occupied_at": 132.0, "last_t": 132.0})
    assert needs_write(old, much_later, RULES)
    reminded = ZoneRecord(**{**old.__dict__, "alerts": 2})
    assert needs_write(old, reminded, RULES)
    assert needs_write(old, None, RULES) and needs_write(None, old, RULES)
    assert not needs_write(None, None, RULES)


# -- the store --------------------------------------------------------------------------------


def test_the_store_round_trips_and_drops_removed_cameras(tmp_path: Path) -> None:
    store = EpisodeStore(tmp_path / "episodes.db")
    store.save("cam-01", "z1", alerted())
    store.save("cam-02", "z1", alerted(started=5.0))
    store.close()
    store = EpisodeStore(tmp_path / "episodes.db")
    assert store.load("cam-01") == {"z1": alerted()}
    store.retain_cameras({"cam-01"})
    assert store.load("cam-02") == {}
    store.camera("cam-01").delete("z1")
    assert store.load("cam-01") == {}
    store.close()


def test_a_corrupt_store_is_moved_aside_with_a_clear_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "episodes.db"
    path.write_bytes(b"this is not a database" * 100)
    with caplog.at_level(logging.ERROR):
        store = EpisodeStore(path)
    assert store.load("cam-01") == {}
    assert any("unreadable" in r.getMessage() for r in caplog.records)
    assert list(tmp_path.glob("episodes.db.corrupt-*"))
    store.save("cam-01", "z1", alerted())
    assert store.load("cam-01") == {"z1": alerted()}
    store.close()


def test_a_store_from_before_episode_keys_keeps_its_episodes(tmp_path: Path) -> None:
    path = tmp_path / "episodes.db"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE episodes (camera_id TEXT NOT NULL, zone_id TEXT NOT NULL, phase TEXT NOT "
        "NULL, started_at REAL NOT NULL, last_occupied_at REAL NOT NULL, last_t REAL NOT NULL, "
        "last_alert_at REAL, alerts INTEGER NOT NULL, seen INTEGER NOT NULL, occupied INTEGER "
        "NOT NULL, first_alert_id TEXT, PRIMARY KEY (camera_id, zone_id))"
    )
    db.execute(
        "INSERT INTO episodes VALUES ('cam-01', 'z1', 'alerted', 100, 130, 130, 110, 1, 30, 30, "
        "'a-1')"
    )
    db.commit()
    db.close()
    store = EpisodeStore(path)
    assert store.load("cam-01") == {"z1": alerted()}  # the empty key: its ids as before
    keyed = ZoneRecord(**{**alerted().__dict__, "episode_key": "k-1"})
    store.save("cam-01", "z2", keyed)
    assert store.load("cam-01")["z2"].episode_key == "k-1"
    store.close()


def test_a_row_that_does_not_parse_is_dropped_not_fatal(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = EpisodeStore(tmp_path / "episodes.db")
    store.save("cam-01", "z1", alerted())
    db = sqlite3.connect(tmp_path / "episodes.db")
    db.execute("UPDATE episodes SET phase = 'bogus'")
    db.commit()
    db.close()
    with caplog.at_level(logging.ERROR):
        assert store.load("cam-01") == {}
    assert any("bad row" in r.getMessage() for r in caplog.records)
    store.close()


# -- a pipeline restarted on the same store -------------------------------------------------


def camera(*zones: str) -> CameraConfig:
    polys = {"z1": LEFT, "z2": RIGHT}
    return CameraConfig(
        id="cam-01",
        source="rtsp://cam/1",
        analysis_interval_seconds=1.0,
        zones=tuple(
            ZoneConfig(id=z, shop_id="shop-1", polygon=polys[z], rules=RULES) for z in zones
        ),
    )


class CountingStore:
    """The real store's camera view, counting writes."""

    def __init__(self, store: EpisodeStore) -> None:
        self.view, self.writes = store.camera("cam-01"), 0

    def load(self) -> dict[str, ZoneRecord]:
        return self.view.load()

    def save(self, zone_id: str, record: ZoneRecord) -> None:
        self.writes += 1
        self.view.save(zone_id, record)

    def delete(self, zone_id: str) -> None:
        self.writes += 1
        self.view.delete(zone_id)


def pipeline(tmp_path: Path, store, *zones: str, clip_after: float = 0) -> CameraPipeline:
    p = CameraPipeline(
        "node-1",
        camera(*(zones or ("z1",))),
        BlockDetector(),
        tmp_path / "ev",
        clip_before=0,
        clip_after=clip_after,
    )
    if store is not None:
        p.attach_store(store)
    return p


def run(p: CameraPipeline, seconds: range, objects=(GOODS,)) -> list:
    out = []
    for s in seconds:
        out.extend(p.process(scene(list(objects), SIZE), T0 + timedelta(seconds=s)))
    return out


def test_a_restart_within_clear_time_continues_the_episode(tmp_path: Path) -> None:
    store = EpisodeStore(tmp_path / "episodes.db")
    counting = CountingStore(store)
    before = run(pipeline(tmp_path, counting), range(0, 15))
    assert [m.kind for m in before] == ["alert"]
    first = before[0]
    assert counting.writes < 15 / 2  # not every frame
    # killed after second 14; back 4 s later (within clear 6 + grace 2): the same episode
    key = store.load("cam-01")["z1"].episode_key
    assert first.alert_id == stable_alert_id(
        "node-1", "cam-01", "z1", first.episode_started_at, 0, key
    )
    after = run(pipeline(tmp_path, store.camera("cam-01")), range(18, 26))
    assert all(isinstance(m, Alert) for m in after)
    assert [(m.reminder, m.episode_started_at) for m in after] == [
        (1, first.episode_started_at)  # reminder on schedule: 8 s after the alert
    ]
    assert after[0].threshold_crossed_at - first.threshold_crossed_at == timedelta(seconds=8)
    assert after[0].alert_id == stable_alert_id(  # the reminder keeps the episode's key
        "node-1", "cam-01", "z1", first.episode_started_at, 1, key
    )
    # and the episode's end names the first alert
    ended = run(pipeline(tmp_path, store.camera("cam-01")), range(30, 45), objects=())
    ends = [m for m in ended if isinstance(m, EpisodeEnd)]
    assert [e.alert_id for e in ends] == [first.alert_id]
    assert store.load("cam-01") == {}  # idle zones are not stored
    store.close()


def test_without_a_store_the_restart_raises_a_second_alert(tmp_path: Path) -> None:
    # the behaviour the store fixes (and what replay, which has no store, still does)
    first = run(pipeline(tmp_path, None), range(0, 15))
    second = run(pipeline(tmp_path, None), range(19, 35))
    assert [m.kind for m in first] == [m.kind for m in second] == ["alert"]
    assert first[0].alert_id != second[0].alert_id


def test_a_restart_after_a_long_gap_closes_the_episode_then_starts_afresh(
    tmp_path: Path,
) -> None:
    store = EpisodeStore(tmp_path / "episodes.db")
    first = run(pipeline(tmp_path, store.camera("cam-01")), range(0, 15))[0]
    after = run(pipeline(tmp_path, store.camera("cam-01")), range(60, 75))
    assert [m.kind for m in after] == ["episode_end", "alert"]
    end, fresh = after
    assert end.alert_id == first.alert_id and end.ended_at == T0 + timedelta(seconds=60)
    assert fresh.reminder == 0 and fresh.alert_id != first.alert_id
    store.close()


def test_an_alert_lost_with_its_clip_is_raised_again_with_the_same_id(tmp_path: Path) -> None:
    store = EpisodeStore(tmp_path / "episodes.db")
    p = pipeline(tmp_path, store.camera("cam-01"), clip_after=3)
    assert run(p, range(0, 13)) == []  # threshold crossed; the alert waits for its clip
    lost = p.zones[0].first_alert_id
    assert store.load("cam-01")["z1"].episode_key == p.zones[0].episode_key != ""
    again = run(pipeline(tmp_path, store.camera("cam-01")), range(15, 20))
    assert [m.kind for m in again] == ["alert"] and again[0].reminder == 0
    assert again[0].alert_id == lost  # same episode (stored key and start), same id
    store.close()


def test_a_removed_zone_drops_its_state(tmp_path: Path) -> None:
    store = EpisodeStore(tmp_path / "episodes.db")
    right = ("goods", (240, 100, 280, 130))
    run(pipeline(tmp_path, store.camera("cam-01"), "z1", "z2"), range(0, 15), (GOODS, right))
    assert set(store.load("cam-01")) == {"z1", "z2"}
    after = run(pipeline(tmp_path, store.camera("cam-01"), "z1"), range(16, 18), (GOODS, right))
    assert after == [] and set(store.load("cam-01")) == {"z1"}
    store.close()


def test_a_missing_or_corrupt_store_starts_fresh(tmp_path: Path) -> None:
    path = tmp_path / "episodes.db"
    path.write_bytes(b"\0garbage" * 512)
    store = EpisodeStore(path)
    messages = run(pipeline(tmp_path, store.camera("cam-01")), range(0, 15))
    assert [m.kind for m in messages] == ["alert"]
    store.close()
