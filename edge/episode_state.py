"""What a zone's episode looks like on disk, and what a restarted pipeline makes of it: pure.

The pipeline (``edge/pipeline.py``) snapshots each zone's dwell state as a :class:`ZoneRecord`
when it changes (``snapshot``, ``needs_write``) and, when it starts, turns stored records back
into dwell states (``resume``). Storage itself is ``edge/runtime/episode_store.py``.

Restore rules (``t`` is the first frame after the restart, on the node's clock):

* ``t`` before the stored last observation: the source replays its past (a video file on its
  stable clock re-analyses from its anchor and rebuilds the same episodes): drop the record.
* the zone was last seen occupied at most ``clear_seconds + grace_seconds`` before ``t``: the
  episode continues — same start (same alert ids), no second alert, reminders on schedule.
* longer: the camera cannot vouch the episode was continuous. A pending one is dropped; an
  alerted one is closed with an ``EpisodeEnd`` for its first alert (the platform's case does
  not stay open forever); goods still there start a fresh episode with a new id.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from streetorder.contracts import ZoneRules
from streetorder.edge.dwell import DwellState, Phase

#: An occupied zone's last-seen time is re-written at most this often (seconds of frame time),
#: capped at a quarter of the zone's restore tolerance so a stale checkpoint never decides.
CHECKPOINT_SECONDS = 5.0


@dataclass(frozen=True)
class ZoneRecord:
    """A zone's ongoing episode as stored. Times are POSIX seconds on the node's clock."""

    phase: Phase  # PENDING or ALERTED (idle zones are not stored)
    started_at: float
    last_occupied_at: float
    last_t: float
    last_alert_at: float | None = None
    alerts: int = 0  # alerts emitted in the episode (first + reminders)
    seen: int = 0
    occupied: int = 0
    first_alert_id: str | None = None
    episode_key: str = ""  # mixed into the episode's alert ids (``edge/episode_id.py``)


class Outcome(StrEnum):
    CONTINUE = "continue"  # the episode goes on where it was
    CLOSE = "close"  # an alerted episode ends now (EpisodeEnd for first_alert_id)
    DROP = "drop"  # forgotten (a pending episode too old, or the source replays its past)


@dataclass(frozen=True)
class Resume:
    outcome: Outcome
    state: DwellState | None = None  # for CONTINUE
    first_alert_id: str | None = None  # for CONTINUE (alerted) and CLOSE
    episode_key: str = ""  # for CONTINUE: later alerts (reminders) keep the episode's ids


def tolerance(rules: ZoneRules) -> float:
    """How long a zone may go unobserved across a restart and its episode still continue."""
    return rules.clear_seconds + rules.grace_seconds


def checkpoint_every(rules: ZoneRules) -> float:
    return min(CHECKPOINT_SECONDS, tolerance(rules) / 4)


def snapshot(
    state: DwellState, first_alert_id: str | None, emitted: int, episode_key: str = ""
) -> ZoneRecord | None:
    """The record for a zone's state; None when idle. ``emitted``: alerts of this episode
    already handed to the node (an alert still waiting for its clip is not): an alerted episode
    whose first alert was never emitted is stored as pending, so it alerts again (same id, as
    ``episode_key`` is stored from the start)."""
    if state.phase is Phase.IDLE:
        return None
    assert state.started_at is not None and state.last_occupied_at is not None
    assert state.last_t is not None
    record = ZoneRecord(
        phase=state.phase,
        started_at=state.started_at,
        last_occupied_at=state.last_occupied_at,
        last_t=state.last_t,
        last_alert_at=state.last_alert_at,
        alerts=min(state.alerts, emitted),
        seen=state.seen,
        occupied=state.occupied,
        first_alert_id=first_alert_id,
        episode_key=episode_key,
    )
    if state.phase is Phase.ALERTED and emitted == 0:
        record = replace(record, phase=Phase.PENDING, alerts=0, last_alert_at=None)
        record = replace(record, first_alert_id=None)
    return record


def needs_write(old: ZoneRecord | None, new: ZoneRecord | None, rules: ZoneRules) -> bool:
    """Write when the episode changes (start, alert, reminder, end), and refresh an occupied
    zone's last-seen time every ``checkpoint_every`` seconds — not on every frame."""
    if old is None or new is None:
        return old is not new
    if _key(old) != _key(new):
        return True
    return new.last_occupied_at - old.last_occupied_at >= checkpoint_every(rules)


def _key(r: ZoneRecord) -> tuple:
    return (r.phase, r.started_at, r.alerts, r.last_alert_at, r.first_alert_id, r.episode_key)


def resume(record: ZoneRecord, rules: ZoneRules, t: float) -> Resume:
    """Decide what a stored episode becomes at the first frame ``t`` after a restart."""
    if t < record.last_t:
        return Resume(Outcome.DROP)
    if t - record.last_occupied_at <= tolerance(rules):
        state = DwellState(
            phase=record.phase,
            started_at=record.started_at,
            last_occupied_at=record.last_occupied_at,
            last_alert_at=record.last_alert_at,
            alerts=record.alerts,
            last_t=record.last_t,
            seen=record.seen,
            occupied=record.occupied,
        )
        first = record.first_alert_id if record.phase is Phase.ALERTED else None
        return Resume(Outcome.CONTINUE, state, first, record.episode_key)
    if record.phase is Phase.ALERTED and record.first_alert_id is not None:
        return Resume(Outcome.CLOSE, first_alert_id=record.first_alert_id)
    return Resume(Outcome.DROP)
