"""One thread per camera: source → pipeline → emit, reconnecting with backoff when it drops.

A worker never raises into the node: a camera that cannot be opened, stalls or breaks is
retried with exponential backoff (``reconnecting``, then ``offline`` once it has been down for
``offline_seconds``) while the other cameras go on. A file source that reaches its end is
``offline`` with the reason and is not reopened. A frame that repeats the last fresh picture is
held back; it is analysed once the picture changes, or dropped if the picture stays the same
for ``frozen_seconds`` (``frozen``): a frozen camera never advances a dwell time. States and
thresholds: ``edge/sources/health.py``.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np

from streetorder.contracts import Alert, CameraConfig, CameraStats, EpisodeEnd
from streetorder.edge.sources import freeze
from streetorder.edge.sources.health import CameraHealth

log = logging.getLogger(__name__)

PipelineMessage = Alert | EpisodeEnd


class Pipeline(Protocol):
    def process(self, frame: np.ndarray, t: float) -> list[PipelineMessage]: ...


SourceFactory = Callable[[CameraConfig], Iterable[Any]]
PipelineFactory = Callable[[CameraConfig], Pipeline]
Emit = Callable[[CameraConfig, list[PipelineMessage]], None]


def backoff_delay(attempt: int, base: float = 1.0, cap: float = 30.0) -> float:
    """1, 2, 4 ... seconds up to ``cap``, with ±20 % jitter so cameras do not retry in step."""
    return min(cap, base * 2 ** min(attempt, 20)) * random.uniform(0.8, 1.2)


def unpack(item: Any) -> tuple[np.ndarray, float]:
    """(image, seconds) from a source item: ``(t, image)``, ``(image, t)`` or a frame object."""
    if isinstance(item, tuple):
        first, second = item[0], item[1]
        if isinstance(first, np.ndarray):
            return first, float(second)
        return second, float(first)
    image = getattr(item, "image", None)
    if image is None:
        image = item.frame
    return image, float(item.t)


def detections_of(pipeline: Pipeline) -> int:
    """How many detections the pipeline saw in its last frame, when it says."""
    for name in ("last_detection_count", "last_detections"):
        value = getattr(pipeline, name, None)
        if isinstance(value, int):
            return value
        if value is not None and hasattr(value, "__len__"):
            return len(value)
    return 0


@dataclass(frozen=True)
class CameraStatus:
    """A camera's state, since when (wall time) and why (None while all is well)."""

    state: str
    since: datetime
    reason: str | None = None


@dataclass
class _Held:
    """Frames repeating the last fresh picture: the newest image and every frame's times."""

    image: np.ndarray
    times: list[tuple[float, float]] = field(default_factory=list)  # (node clock, stream s)


class CameraWorker:
    def __init__(
        self,
        camera: CameraConfig,
        open_source: SourceFactory,
        make_pipeline: PipelineFactory,
        emit: Emit,
        *,
        backoff_cap: float = 30.0,
        backoff_base: float = 1.0,
        realtime_files: bool = True,
        file_anchor: Callable[[CameraConfig], float] | None = None,
        health: CameraHealth | None = None,
    ) -> None:
        self.camera = camera
        self.open_source = open_source
        self.make_pipeline = make_pipeline
        self.emit = emit
        self.backoff_cap = backoff_cap
        self.backoff_base = backoff_base
        self.finite = _is_file(camera.source)
        self.realtime_files = realtime_files
        self.file_anchor = file_anchor
        self.health = health or CameraHealth()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        first = "connecting" if camera.enabled else "disabled"  # until the first frame
        self._status = CameraStatus(first, datetime.now(UTC))
        self.detections = 0
        self.lag_seconds = 0.0
        self.last_frame_at: datetime | None = None
        self.frames_total = 0
        self.reconnects = 0
        # Counters for the node's metrics (edge/runtime/metrics.py).
        self.source_errors = 0  # reads and decodes that failed (each leads to a reconnect)
        self.pipeline_errors = 0  # frames the pipeline failed on
        self.analysis_seconds_total = 0.0  # time in the pipeline, detector included
        self.pipeline: Pipeline | None = None
        self._analysed: deque[float] = deque(maxlen=4096)  # monotonic times of analysed frames
        self._down_since: float | None = time.monotonic()
        self._down_at = self._status.since
        self._received: tuple[float, datetime] | None = None  # last frame: monotonic, wall
        self._freeze = freeze.FreezeState()
        self._held: _Held | None = None
        self._last_pipeline_error = 0.0
        self._last_at = float("-inf")  # node-clock time of the last frame given to the pipeline

    # -- control ---------------------------------------------------------------------------

    def start(self) -> None:
        if not self.camera.enabled:
            return
        self._thread = threading.Thread(
            target=self._run, name=f"camera-{self.camera.id}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread; False if it is still stuck (e.g. in a blocking read)."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- state -----------------------------------------------------------------------------

    def status(self) -> CameraStatus:
        """The current state; ``stalled`` when a connected camera has sent nothing for a while."""
        status, received = self._status, self._received
        if status.state in ("online", "frozen") and received is not None:
            quiet = time.monotonic() - received[0]
            if quiet > self.health.stall_after(self.camera.analysis_interval_seconds):
                return CameraStatus("stalled", received[1], f"no frame for {quiet:.0f} s")
        return status

    @property
    def state(self) -> str:
        return self.status().state

    @property
    def error(self) -> str | None:
        return self.status().reason

    def _set(self, state: str, reason: str | None = None, since: datetime | None = None) -> None:
        if state != self._status.state or reason != self._status.reason:
            keep = state == self._status.state and since is None
            since = self._status.since if keep else since or datetime.now(UTC)
            self._status = CameraStatus(state, since, reason)

    def _set_down(self, state: str, error: str) -> None:
        """``reconnecting``/``offline`` since the moment the camera went down."""
        self._held = None  # repeats not yet proven fresh are not analysed after an outage
        now = time.monotonic()
        if self._down_since is None:
            self._down_since, self._down_at = now, datetime.now(UTC)
        if state == "reconnecting" and now - self._down_since > self.health.offline_seconds:
            state = "offline"  # still retrying, but it has been gone a while
        self._status = CameraStatus(state, self._down_at, error)

    # -- the loop --------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            pipeline = self.pipeline = self.make_pipeline(self.camera)
        except Exception as exc:
            log.exception("camera %s: cannot build its pipeline", self.camera.id)
            self._set_down("offline", f"pipeline: {exc}")
            return
        attempt = 0
        while not self._stop.is_set():
            try:
                for frames, (image, at, t) in enumerate(self._frames()):
                    if frames == 0:
                        attempt = 0
                    self._receive(pipeline, image, at, t)
                    del image  # not held while the source waits for the next frame
                    if self._stop.is_set():
                        return
            except Exception as exc:
                self.source_errors += 1
                reason = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
                self._set_down("reconnecting", reason or type(exc).__name__)
                prefix = f"camera {self.camera.id}: "
                log.warning("%s%s", prefix, (self.error or "").removeprefix(prefix))
            else:
                if self._stop.is_set():
                    return
                if self.finite:
                    self._set_down("offline", "source ended")
                    log.info("camera %s: file source ended", self.camera.id)
                    self._flush(pipeline)
                    return
                self._set_down("reconnecting", "stream ended")
            delay = backoff_delay(attempt, self.backoff_base, self.backoff_cap)
            attempt += 1
            self.reconnects += 1
            if self._stop.wait(delay):
                return

    def _frames(self) -> Iterator[tuple[np.ndarray, float, float]]:
        """(image, time on the node's clock, seconds since the source was opened) per frame.

        A source counts seconds from its first frame; anchoring them at the wall time it was
        opened gives the pipeline one clock across reconnects, and ``elapsed - t`` is how far
        analysis runs behind the stream. File sources are paced in real time unless
        ``realtime_files`` is off (as fast as possible).
        """
        source = self.open_source(self.camera)
        frames = source.frames() if hasattr(source, "frames") else iter(source)
        # A file may be anchored in the past (see runtime.anchors): those frames run unpaced.
        opened = time.time()
        if self.finite and self.file_anchor is not None:
            opened = self.file_anchor(self.camera)
        paced_here = self.finite and self.realtime_files
        if paced_here and hasattr(source, "pace"):
            # the source can wait before decoding: hold a packet, not a decoded frame
            source.pace = lambda t: not self._stop.wait(max(0.0, opened + t - time.time()))
            paced_here = False
        try:
            for item in frames:
                image, t = unpack(item)
                if opened + t <= self._last_at:
                    continue  # a reopened file starts over: never feed the pipeline the past
                if paced_here:
                    ahead = opened + t - time.time()
                    if ahead > 0 and self._stop.wait(ahead):
                        return
                yield image, opened + t, t
                del image, item
        finally:
            close = getattr(source, "close", None)
            if callable(close):
                close()

    def _receive(self, pipeline: Pipeline, image: np.ndarray, at: float, t: float) -> None:
        """Judge a frame's picture: analyse it, hold it back, or drop it as frozen."""
        self._received = (time.monotonic(), datetime.now(UTC))
        self._down_since = None
        verdict = self._judge(image, at)
        if verdict is freeze.Verdict.REPEAT:
            if self._held is None:
                self._held = _Held(image)
            self._held.image = image
            self._held.times.append((at, t))
            if self._status.state != "frozen":
                self._set("online")
            return
        if verdict is freeze.Verdict.FROZEN:
            self._held = None
            if self._status.state != "frozen":
                since = datetime.fromtimestamp(self._freeze.since or at, UTC)
                self._set("frozen", "the picture has not changed; frames not analysed", since)
                log.warning("camera %s: picture frozen since %s", self.camera.id, since)
            return
        if self._status.state == "frozen":
            log.info("camera %s: the picture moves again", self.camera.id)
        held, self._held = self._held, None
        if held is not None:  # the same picture, but not long enough to be frozen
            for held_at, held_t in held.times:
                self._analyse(pipeline, held.image, held_at, held_t)
        self._analyse(pipeline, image, at, t)

    def _judge(self, image: np.ndarray, at: float) -> freeze.Verdict:
        rule = self.health
        if rule.frozen_seconds is None:
            return freeze.Verdict.FRESH
        self._freeze, verdict = freeze.step(
            self._freeze,
            freeze.signature(image),
            at,
            frozen_seconds=rule.frozen_seconds,
            max_difference=rule.frozen_max_difference,
        )
        return verdict

    def _analyse(self, pipeline: Pipeline, image: np.ndarray, at: float, t: float) -> None:
        self._last_at = at
        started = time.perf_counter()
        try:
            messages = pipeline.process(image, at)
        except Exception:
            self.pipeline_errors += 1
            now = time.monotonic()
            if now - self._last_pipeline_error > 60:
                log.exception("camera %s: pipeline failed on a frame", self.camera.id)
                self._last_pipeline_error = now
            return
        self.analysis_seconds_total += time.perf_counter() - started
        done = time.time()
        self.lag_seconds = max(0.0, done - at) if self.realtime_files or not self.finite else 0.0
        self.detections = detections_of(pipeline)
        self.last_frame_at = datetime.fromtimestamp(done, UTC)
        self.frames_total += 1
        self._analysed.append(time.monotonic())
        self._set("online")
        if messages:
            self.emit(self.camera, list(messages))

    def _flush(self, pipeline: Pipeline) -> None:
        """Let a pipeline that can report pending episode ends do so at the end of a file."""
        flush = getattr(pipeline, "flush", None)
        if callable(flush):
            messages = flush()
            if messages:
                self.emit(self.camera, list(messages))

    # -- stats -----------------------------------------------------------------------------

    def analysed_times(self) -> list[float]:
        """Monotonic times of the most recent analysed frames (for benchmarks)."""
        return list(self._analysed)

    def stats(self, window: float = 30.0) -> CameraStats:
        now = time.monotonic()
        status = self.status()
        recent = [t for t in list(self._analysed) if now - t <= window]
        fps = 0.0
        if status.state == "online" and len(recent) >= 2:
            fps = (len(recent) - 1) / max(1e-6, now - recent[0])
        return CameraStats(
            camera_id=self.camera.id,
            state=status.state,  # type: ignore[arg-type]
            since=status.since,
            analysed_fps=round(fps, 3),
            lag_seconds=round(self.lag_seconds, 3),
            detections=self.detections,
            last_frame_at=self.last_frame_at,
            error=status.reason,
            reconnects=self.reconnects,
        )


def _is_file(source: str) -> bool:
    """A video file (finite) rather than a stream or a device."""
    lower = source.lower()
    return lower.startswith("file://") or not ("://" in lower or lower.startswith("/dev/"))
