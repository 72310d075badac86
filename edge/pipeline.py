"""One camera's analysis: detect → track → zones → dwell → evidence → contract messages.

``edge run`` and ``replay`` both drive a :class:`CameraPipeline` frame by frame. Everything
stateful lives here per camera; the pieces it calls (zones, dwell, tracker) are pure or local.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from streetorder.contracts import (
    Alert,
    CameraConfig,
    DetectedObject,
    EpisodeEnd,
    ModelInfo,
    stable_alert_id,
)
from streetorder.edge import dwell
from streetorder.edge.config import StorageSettings
from streetorder.edge.detections import Detections
from streetorder.edge.episode_id import random_episode_key
from streetorder.edge.episode_state import Outcome, ZoneRecord, needs_write, resume, snapshot
from streetorder.edge.evidence import (
    EvidenceExistsError,
    FrameRing,
    crop_box,
    draw_caption,
    draw_detections,
    draw_zones,
    existing_evidence,
    write_after_frame,
    write_evidence,
)
from streetorder.edge.scene import UNKNOWN, UNKNOWN_NAME, ReferenceStore, SceneFilter
from streetorder.edge.track import ByteTracker, TrackerSettings
from streetorder.edge.zones import Zone

log = logging.getLogger(__name__)
Frame = npt.NDArray[np.uint8]
Message = Alert | EpisodeEnd

PERSON = "person"
#: How long a lost track is remembered, in seconds of video.
LOST_TRACK_SECONDS = 30.0
#: How long a confirmed track missed by the detector still counts as present in its zone.
HOLD_SECONDS = 3.0


class Detector(Protocol):
    names: tuple[str, ...]
    info: ModelInfo

    def __call__(self, frame: Frame) -> Detections: ...


@dataclass
class _ZoneRuntime:
    zone: Zone
    state: dwell.DwellState = dwell.IDLE
    first_alert_id: str | None = None
    episode_key: str = ""  # drawn when the episode starts; part of its alert ids
    in_zone: Detections = field(default_factory=Detections.empty)
    emitted: int = 0  # alerts of the current episode handed out (first + reminders)
    saved: ZoneRecord | None = None  # what the episode store holds for this zone


class EpisodeStore(Protocol):
    """One camera's durable episode state (``edge/runtime/episode_store.CameraEpisodes``)."""

    def load(self) -> dict[str, ZoneRecord]: ...

    def save(self, zone_id: str, record: ZoneRecord) -> None: ...

    def delete(self, zone_id: str) -> None: ...


@dataclass
class _PendingAlert:
    """An alert whose clip still waits for the frames after the threshold."""

    due: float
    zone_id: str
    build: Callable[[], Alert]


class CameraPipeline:
    """Process one camera's analysed frames; returns the contract messages they cause.

    Args:
        node_id: the edge node's id (part of stable alert ids).
        camera: the camera's config (zones and rules).
        detector: ``OnnxDetector`` or anything with ``names``, ``info`` and ``__call__``.
        evidence_dir: where evidence files are written.
        timezone: the node's time zone, for alarm schedules and captions.
        clip_before / clip_after: seconds of clip around the threshold moment (default: from
            ``storage``, the node config's storage settings). With ``clip_after > 0`` the alert
            is emitted once those frames exist (or on ``flush``): alert latency = clip_after.
        store: where episode state survives restarts (``edge run``); None keeps it in memory
            only (replay). Restored on the first frame, written when an episode changes.
        episode_keys: gives a starting episode the key that makes its alert ids its own
            (``edge/episode_id.py``): a random nonce (live cameras) or the footage's digest.
        base_dir: where relative paths of the camera config (a reference image) start.
    """

    def __init__(
        self,
        node_id: str,
        camera: CameraConfig,
        detector: Detector,
        evidence_dir: str | Path,
        timezone: str = "UTC",
        *,
        clip_before: float | None = None,
        clip_after: float | None = None,
        storage: StorageSettings | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        store: EpisodeStore | None = None,
        episode_keys: Callable[[], str] = random_episode_key,
        base_dir: Path | None = None,
    ) -> None:
        storage = storage or StorageSettings()
        clip_before = storage.clip_seconds_before if clip_before is None else clip_before
        clip_after = storage.clip_seconds_after if clip_after is None else clip_after
        self.node_id = node_id
        self.camera = camera
        self.detector = detector
        self.evidence_dir = Path(evidence_dir)
        self.tz = ZoneInfo(timezone)
        self.clip_before = clip_before
        self.clip_after = clip_after
        self.clock = clock
        self.tracker = ByteTracker(tracker_settings(camera, detector))
        #: a confirmed track missed this many analysed frames still occupies its zone
        self.hold_frames = max(1, math.ceil(HOLD_SECONDS / camera.analysis_interval_seconds))
        self.ring = FrameRing(clip_before + clip_after + camera.analysis_interval_seconds)
        self.frame_size: tuple[int, int] | None = None
        self.zones: list[_ZoneRuntime] = []
        self.last_detections = Detections.empty(tracked=True)
        self.last_time: datetime | None = None
        self.frames_processed = 0
        #: people in the last analysed frame (all of the detector's, ignore regions too)
        self.last_persons: npt.NDArray[np.float32] | None = None
        self.detect_seconds_total = 0.0  # the detector's own time, for the node's metrics
        self._pending: list[_PendingAlert] = []
        self.store = store
        self.scene = SceneFilter(camera, base_dir)
        self.episode_keys = episode_keys
        self._restored = False
        self._store_failed_at = -math.inf

    def attach_store(self, store: EpisodeStore) -> None:
        """Give the pipeline its episode store (before the first frame)."""
        self.store = store

    def attach_reference_store(self, store: ReferenceStore) -> None:
        """Give the pipeline where its scene reference survives restarts (before the first
        frame)."""
        self.scene.store = store

    # -- the hot path --------------------------------------------------------------------
    def process(self, frame: Frame, t: datetime | float) -> list[Message]:
        """Analyse one frame taken at ``t``; return alerts and episode ends.

        ``t`` is a timezone-aware datetime, or POSIX seconds (as the node's camera workers pass).
        """
        if isinstance(t, int | float):
            t = datetime.fromtimestamp(float(t), UTC)
        if t.tzinfo is None:
            raise ValueError("frame time must be timezone-aware")
        ts = t.timestamp()
        self._ensure_zones(frame)
        out: list[Message] = []
        if self.store is not None:
            # the previous frame's changes are written now: its messages have been handed to
            # the node (and its outbox) in between, so the store never claims an alert was sent
            # that a crash lost
            if self._restored:
                self._persist()
            else:
                out.extend(self._restore(t))
        started = time.perf_counter()
        detections = self.detector(frame)
        self.detect_seconds_total += time.perf_counter() - started
        assert self.frame_size is not None
        self.last_persons = person_boxes(detections, self.detector.names)
        detections = detections[self.scene.outside_ignored(detections, self.frame_size)]
        tracked = self.tracker.update(detections)
        self.last_detections, self.last_time = tracked, t
        present = _concat(tracked, self.tracker.recently_lost(self.hold_frames))
        new = self.scene.newness(frame, ts, present, fresh=len(tracked))
        unknown = self.scene.unknown_objects(ts, present)
        self.scene.learn(ts, _concat(present[new], unknown))
        self.frames_processed += 1
        self.ring.add(ts, frame)
        out.extend(self._due_alerts(ts))
        armed_cache: dict[tuple[str, ...], bool] = {}
        local = t.astimezone(self.tz)
        for zr in self.zones:
            rules = zr.zone.config.rules
            mask = zr.zone.trigger(present)
            if rules.only_new_objects:
                mask &= new
            zr.in_zone = present[mask]
            if rules.unknown_objects and len(unknown):
                zr.in_zone = _concat(zr.in_zone, unknown[zr.zone.inside(unknown)])
            if rules.schedule not in armed_cache:
                armed_cache[rules.schedule] = dwell.is_armed(rules.schedule, local)
            zr.state, events = dwell.step(
                zr.state, rules, ts, len(zr.in_zone) > 0, armed_cache[rules.schedule]
            )
            for event in events:
                out.extend(self._on_event(zr, event, frame, t))
        return out

    @property
    def open_episodes(self) -> int:
        """Zones whose episode has alerted and not yet ended."""
        return sum(1 for zr in self.zones if zr.first_alert_id is not None)

    def flush(self) -> list[Message]:
        """Emit alerts still waiting for clip frames (end of a replay, shutdown)."""
        self.scene.save(self.last_time.timestamp() if self.last_time else None)
        return self._due_alerts(math.inf)

    # -- events → messages ---------------------------------------------------------------
    def _on_event(
        self, zr: _ZoneRuntime, event: dwell.DwellEvent, frame: Frame, t: datetime
    ) -> list[Message]:
        cfg = zr.zone.config
        kind = event.kind
        if kind in (dwell.EventKind.ALERT, dwell.EventKind.REMINDER):
            started = datetime.fromtimestamp(event.started_at, t.tzinfo)
            alert_id = stable_alert_id(
                self.node_id, self.camera.id, cfg.id, started, event.reminder, zr.episode_key
            )
            if event.reminder == 0:
                zr.first_alert_id = alert_id
            build = self._alert_builder(zr, alert_id, event, started, frame.copy(), t)
            self._pending.append(_PendingAlert(event.t + self.clip_after, cfg.id, build))
            return self._due_alerts(event.t)
        if kind is dwell.EventKind.ENDED and zr.first_alert_id is not None:
            out: list[Message] = [*self._flush_zone(cfg.id)]
            out.append(self._episode_end(zr, zr.first_alert_id, t, frame))
            zr.first_alert_id = None
            zr.emitted = 0
            return out
        if kind is dwell.EventKind.STARTED:
            zr.episode_key = self.episode_keys()
        if kind in (dwell.EventKind.STARTED, dwell.EventKind.DISCARDED, dwell.EventKind.ENDED):
            zr.emitted = 0
        return []

    # -- durable episode state -----------------------------------------------------------
    def _restore(self, t: datetime) -> list[Message]:
        """Load stored episodes on the first frame (see ``edge/episode_state.py``)."""
        assert self.store is not None
        self._restored = True
        try:
            stored = self.store.load()
        except Exception:
            log.exception("camera %s: cannot read stored episodes; starting fresh", self.camera.id)
            return []
        out: list[Message] = []
        zones = {zr.zone.config.id: zr for zr in self.zones}
        for zone_id, record in stored.items():
            zr = zones.get(zone_id)
            if zr is None:
                log.info(
                    "camera %s: zone %s is no longer configured: its episode is dropped",
                    self.camera.id,
                    zone_id,
                )
                self._store_call(self.store.delete, zone_id)
                continue
            decision = resume(record, zr.zone.config.rules, t.timestamp())
            log.info(
                "camera %s zone %s: stored %s episode started %s, last seen occupied %.0f s "
                "before this frame: %s",
                self.camera.id,
                zone_id,
                record.phase.value,
                datetime.fromtimestamp(record.started_at, UTC).isoformat(timespec="seconds"),
                t.timestamp() - record.last_occupied_at,
                decision.outcome.value,
            )
            if decision.outcome is Outcome.CONTINUE:
                assert decision.state is not None
                zr.state, zr.first_alert_id = decision.state, decision.first_alert_id
                zr.episode_key = decision.episode_key
                zr.emitted, zr.saved = record.alerts, record
                continue
            if decision.outcome is Outcome.CLOSE:
                assert decision.first_alert_id is not None
                out.append(self._episode_end(zr, decision.first_alert_id, t))
            self._store_call(self.store.delete, zone_id)
        return out

    def _persist(self) -> None:
        assert self.store is not None
        for zr in self.zones:
            record = snapshot(zr.state, zr.first_alert_id, zr.emitted, zr.episode_key)
            if not needs_write(zr.saved, record, zr.zone.config.rules):
                continue
            zone_id = zr.zone.config.id
            if record is None:
                ok = self._store_call(self.store.delete, zone_id)
            else:
                ok = self._store_call(self.store.save, zone_id, record)
            if ok:
                zr.saved = record

    def _store_call(self, fn: Callable[..., None], *args: object) -> bool:
        try:
            fn(*args)
        except Exception:
            if time.monotonic() - self._store_failed_at > 60:
                log.exception("camera %s: cannot write the episode store", self.camera.id)
                self._store_failed_at = time.monotonic()
            return False
        return True

    def _episode_end(
        self, zr: _ZoneRuntime, alert_id: str, t: datetime, frame: Frame | None = None
    ) -> EpisodeEnd:
        """With ``frame`` (the zone seen clear), the after-frame goes along as evidence."""
        cfg = zr.zone.config
        after = ()
        if frame is not None:
            try:
                after = (write_after_frame(self.evidence_dir, alert_id, frame, self.last_persons),)
            except Exception:  # noqa: BLE001 - the episode end matters more than its picture
                log.exception(
                    "camera %s: cannot write the after-frame of %s", self.camera.id, alert_id
                )
        return EpisodeEnd(
            alert_id=alert_id,
            node_id=self.node_id,
            camera_id=self.camera.id,
            zone_id=cfg.id,
            shop_id=cfg.shop_id,
            ended_at=t,
            clear_seconds=cfg.rules.clear_seconds,
            created_at=self.clock(),
            evidence=after,
        )

    def _alert_builder(
        self,
        zr: _ZoneRuntime,
        alert_id: str,
        event: dwell.DwellEvent,
        started: datetime,
        frame: Frame,
        t: datetime,
    ) -> Callable[[], Alert]:
        cfg = zr.zone.config
        objects = zr.in_zone
        persons = self.last_persons  # of this frame, which the alert's images show
        annotated = self.annotate(frame, t)
        names = self.detector.names
        model = self.detector.info  # the version that saw it, even if the camera switches
        assert self.frame_size is not None
        frame_size = self.frame_size

        def build() -> Alert:
            clip = self.ring.window(event.t - self.clip_before, event.t + self.clip_after)
            try:
                evidence = write_evidence(
                    self.evidence_dir,
                    alert_id,
                    frame,
                    annotated,
                    crop_box(objects.xyxy, frame_size),
                    clip,
                    clip_fps=1.0 / self.camera.analysis_interval_seconds,
                    persons=persons,
                )
            except EvidenceExistsError as exc:
                # the same alert raised again after a restart: its first evidence stays
                log.warning("%s; alert %s keeps the evidence written first", exc, alert_id)
                evidence = existing_evidence(self.evidence_dir, alert_id)
            return Alert(
                alert_id=alert_id,
                node_id=self.node_id,
                camera_id=self.camera.id,
                zone_id=cfg.id,
                shop_id=cfg.shop_id,
                episode_started_at=started,
                threshold_crossed_at=t,
                dwell_seconds=round(event.t - event.started_at, 3),
                reminder=event.reminder,
                objects=tuple(_objects(objects, names)),
                frame_size=frame_size,
                evidence=evidence,
                model=model,
                created_at=self.clock(),
            )

        return build

    def _due_alerts(self, now: float) -> list[Message]:
        due = [p for p in self._pending if p.due <= now]
        self._pending = [p for p in self._pending if p.due > now]
        return [self._build(p) for p in due]

    def _flush_zone(self, zone_id: str) -> list[Message]:
        mine = [p for p in self._pending if p.zone_id == zone_id]
        self._pending = [p for p in self._pending if p.zone_id != zone_id]
        return [self._build(p) for p in mine]

    def _build(self, pending: _PendingAlert) -> Alert:
        alert = pending.build()
        for zr in self.zones:
            if zr.zone.config.id == pending.zone_id:
                zr.emitted += 1
        return alert

    # -- zones and drawing ---------------------------------------------------------------
    def _ensure_zones(self, frame: Frame) -> None:
        size = (int(frame.shape[1]), int(frame.shape[0]))
        if size == self.frame_size:
            return
        states = {zr.zone.config.id: zr for zr in self.zones}
        rebuilt = []
        for cfg in self.camera.zones:
            zone = Zone.build(cfg, size, self.detector.names)
            old = states.get(cfg.id)
            rebuilt.append(
                replace(old, zone=zone, in_zone=Detections.empty()) if old else _ZoneRuntime(zone)
            )
        self.zones, self.frame_size = rebuilt, size

    def zone_phase(self, zone_id: str) -> str:
        for zr in self.zones:
            if zr.zone.config.id == zone_id:
                return zr.state.phase.value
        raise KeyError(zone_id)

    def annotate(self, frame: Frame, t: datetime | None = None) -> Frame:
        """A copy of ``frame`` with zones (coloured by phase), tracked boxes, camera and time."""
        self._ensure_zones(frame)
        out = draw_zones(
            frame,
            [zr.zone.polygon for zr in self.zones],
            [f"{zr.zone.config.id} {zr.zone.config.shop_id}" for zr in self.zones],
            [zr.state.phase.value for zr in self.zones],
        )
        draw_detections(out, self.last_detections, self.detector.names)
        when = t or self.last_time
        stamp = when.astimezone(self.tz).strftime("%Y-%m-%d %H:%M:%S %Z") if when else ""
        return draw_caption(out, f"{self.camera.id}  {stamp}")


def tracker_settings(camera: CameraConfig, detector: Detector) -> TrackerSettings:
    """Tracking thresholds that fit the zones: anything a zone would count may start a track;
    weaker detections (down to the detector's own threshold) only keep tracks alive."""
    detector_min = float(getattr(detector, "score_threshold", 0.1))
    zone_min = min((z.rules.min_score for z in camera.zones), default=0.35)
    high = max(zone_min, detector_min)
    lost = math.ceil(LOST_TRACK_SECONDS / camera.analysis_interval_seconds)
    return TrackerSettings(
        high_score=high,
        low_score=min(0.1, detector_min),
        new_track_score=high,
        max_lost_frames=max(1, lost),
    )


def person_boxes(detections: Detections, names: tuple[str, ...]) -> npt.NDArray[np.float32] | None:
    """Boxes of every person the detector saw (any score it reports), for the platform to blur
    in public renditions; None when the model has no ``person`` class."""
    if PERSON not in names:
        return None
    mask = detections.class_id == names.index(PERSON)
    return np.asarray(detections.xyxy[mask], dtype=np.float32).reshape(-1, 4)


def _concat(a: Detections, b: Detections) -> Detections:
    if not len(b):
        return a
    ids = None
    if a.tracker_id is not None and b.tracker_id is not None:
        ids = np.concatenate([a.tracker_id, b.tracker_id])
    return Detections(
        np.concatenate([a.xyxy, b.xyxy]),
        np.concatenate([a.confidence, b.confidence]),
        np.concatenate([a.class_id, b.class_id]),
        ids,
    )


def _objects(detections: Detections, names: tuple[str, ...]) -> list[DetectedObject]:
    out = []
    for i in range(len(detections)):
        cls = int(detections.class_id[i])
        track = None if detections.tracker_id is None else int(detections.tracker_id[i])
        out.append(
            DetectedObject(
                class_name=_class_name(cls, names),
                score=float(np.clip(detections.confidence[i], 0, 1)),
                box_xyxy=tuple(round(float(v), 1) for v in detections.xyxy[i]),  # type: ignore[arg-type]
                track_id=None if track is None or track < 0 else track,
            )
        )
    return out


def _class_name(cls: int, names: tuple[str, ...]) -> str:
    if cls == UNKNOWN:
        return UNKNOWN_NAME
    return names[cls] if 0 <= cls < len(names) else str(cls)
