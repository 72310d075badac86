"""Camera workers: states, reconnect with backoff, file pacing and clocks (no broker needed)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from streetorder.contracts import CameraConfig
from streetorder.edge.runtime.anchors import FileAnchors
from streetorder.edge.runtime.worker import CameraWorker, backoff_delay, unpack
from streetorder.edge.sources.health import CameraHealth
from streetorder.errors import StreetorderError

IMAGE = np.zeros((4, 4, 3), np.uint8)


def image(i: int) -> np.ndarray:
    """Frame ``i`` of a live camera: a picture that differs from the one before."""
    return np.full((4, 4, 3), i % 256, np.uint8)


class Recorder:
    """A pipeline that records the times it is given."""

    instances: list[Recorder] = []

    def __init__(self, camera: CameraConfig) -> None:
        self.times: list[float] = []
        self.flushed = False
        Recorder.instances.append(self)

    def process(self, frame, t):
        self.times.append(t)
        return []

    def flush(self):
        self.flushed = True
        return []


def cam(source: str, **kw) -> CameraConfig:
    return CameraConfig(id="c1", source=source, **kw)


def wait_until(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def start(source, camera: CameraConfig, **kw) -> tuple[CameraWorker, list]:
    emitted: list = []
    Recorder.instances.clear()
    w = CameraWorker(
        camera, source, Recorder, lambda c, m: emitted.extend(m), backoff_base=0.01, **kw
    )
    w.start()
    return w, emitted


def test_a_file_that_ends_is_offline_with_the_reason_and_not_reopened() -> None:
    opened = []

    def source(camera):
        opened.append(1)
        return [(i * 0.5, image(i)) for i in range(6)]

    w, _ = start(source, cam("/videos/shop.mp4"), realtime_files=False)
    assert wait_until(lambda: not w.alive)
    assert w.state == "offline" and w.error == "source ended"
    assert len(opened) == 1 and w.frames_total == 6
    times = Recorder.instances[0].times
    assert np.allclose(np.diff(times), 0.5) and Recorder.instances[0].flushed


def test_a_file_plays_in_real_time_unless_told_otherwise() -> None:
    frames = [(i * 0.1, image(i)) for i in range(6)]
    began = time.monotonic()
    w, _ = start(lambda c: frames, cam("/v.mp4"), realtime_files=True)
    assert wait_until(lambda: not w.alive)
    assert time.monotonic() - began >= 0.45
    began = time.monotonic()
    w, _ = start(lambda c: frames, cam("/v.mp4"), realtime_files=False)
    assert wait_until(lambda: not w.alive)
    assert time.monotonic() - began < 0.3


def test_a_broken_camera_reconnects_with_backoff_and_turns_offline_after_a_while() -> None:
    attempts: list[float] = []

    def source(camera):
        attempts.append(time.monotonic())
        raise StreetorderError("camera c1: connection refused\nmore detail")

    health = CameraHealth(offline_seconds=0.3)
    w, _ = start(source, cam("rtsp://cam/1"), backoff_cap=0.2, health=health)
    try:
        assert wait_until(lambda: w.state == "reconnecting", 2)
        assert w.stats().error == "camera c1: connection refused"
        assert wait_until(lambda: w.state == "offline" and len(attempts) >= 4, 3)
        assert w.stats().analysed_fps == 0
    finally:
        w.stop()
        assert w.join(2)


def test_a_dropped_stream_comes_back_with_the_same_pipeline_and_a_steady_clock() -> None:
    rounds = []

    def source(camera):
        rounds.append(1)

        def frames():
            for i in range(3):
                yield i * 0.01, image(i)
                time.sleep(0.01)
            if len(rounds) < 3:
                raise StreetorderError("stream dropped")

        return frames()

    w, _ = start(source, cam("rtsp://cam/1"))
    try:
        assert wait_until(lambda: len(rounds) >= 3 and w.frames_total >= 9, 5)
        assert len(Recorder.instances) == 1  # dwell state survives a reconnect
        times = Recorder.instances[0].times
        assert times == sorted(times)
        assert abs(times[-1] - time.time()) < 2  # node clock = wall time for live streams
    finally:
        w.stop()
        w.join(2)


def test_a_reopened_file_never_feeds_the_pipeline_the_past(tmp_path: Path) -> None:
    rounds = []

    def source(camera):
        rounds.append(1)

        def frames():
            for i in range(8):
                if len(rounds) == 1 and i == 4:
                    raise StreetorderError("decode error")
                yield i * 1.0, image(i)

        return frames()

    anchors = FileAnchors(tmp_path / "anchors.json")
    w, _ = start(source, cam("/v.mp4"), realtime_files=False, file_anchor=anchors)
    assert wait_until(lambda: not w.alive)
    times = Recorder.instances[0].times
    assert len(rounds) == 2 and len(times) == 8
    assert np.allclose(np.diff(times), 1.0)
    assert times[0] == anchors(cam("/v.mp4"))


def test_file_anchors_survive_a_restart_and_differ_per_source(tmp_path: Path) -> None:
    first = FileAnchors(tmp_path / "a.json")
    a = first(cam("/v.mp4"))
    time.sleep(0.01)
    again = FileAnchors(tmp_path / "a.json")
    assert again(cam("/v.mp4")) == a
    assert again(cam("/other.mp4")) > a


def test_stats_report_the_analysed_rate() -> None:
    def source(camera):
        def frames():
            for i in range(10**6):
                yield i * 0.02, image(i)
                time.sleep(0.02)

        return frames()

    w, _ = start(source, cam("rtsp://cam/1"))
    try:
        time.sleep(1.0)
        stats = w.stats()
        assert stats.state == "online" and 25 < stats.analysed_fps <= 55
        assert stats.last_frame_at is not None and stats.error is None
    finally:
        w.stop()
        w.join(2)


def test_backoff_doubles_up_to_the_cap_with_jitter() -> None:
    delays = [backoff_delay(a, base=1.0, cap=30.0) for a in range(8)]
    assert 0.8 <= delays[0] <= 1.2 and 3.2 <= delays[2] <= 4.8
    assert all(d <= 36.0 for d in delays) and delays[7] >= 24.0


def test_source_items_in_either_order_are_understood() -> None:
    assert unpack((1.5, IMAGE))[1] == 1.5
    assert unpack((IMAGE, 2.5))[1] == 2.5


def test_a_repeated_picture_is_held_back_and_analysed_once_the_picture_moves() -> None:
    pictures = [0, 1, 1, 1, 1, 2]  # picture 1 sent five times, then a new one

    def source(camera):
        return [(i * 0.1, image(p)) for i, p in enumerate(pictures)]

    held: list[int] = []

    class Counting(Recorder):
        def process(self, frame, t):
            held.append(int(frame[0, 0, 0]))
            return super().process(frame, t)

    w = CameraWorker(
        cam("rtsp://cam/1"),
        source,
        Counting,
        lambda c, m: None,
        health=CameraHealth(frozen_seconds=10.0),
    )
    w.start()
    try:
        assert wait_until(lambda: len(held) == 6)
        assert held == pictures  # every frame analysed, in order, none lost
        times = Recorder.instances[-1].times
        assert np.allclose(np.diff(times), 0.1)
    finally:
        w.stop()
        w.join(2)


def test_a_frozen_picture_is_never_analysed_and_the_camera_says_frozen() -> None:
    release, finished = threading.Event(), threading.Event()

    def source(camera):
        def frames():
            yield 0.0, image(0)
            for i in range(1, 11):  # picture 1 for a second
                yield i * 0.1, image(1)
            release.wait(5)
            yield 1.1, image(2)
            finished.wait(5)  # the camera stays connected

        return frames()

    w, _ = start(source, cam("rtsp://cam/1"), health=CameraHealth(frozen_seconds=0.3))
    try:
        assert wait_until(lambda: w.state == "frozen")
        status = w.status()
        assert status.reason and "not analysed" in status.reason
        times = Recorder.instances[0].times
        assert len(times) == 2  # picture 0, and picture 1 when it was new
        assert status.since.timestamp() == pytest.approx(times[1])
        assert w.stats().state == "frozen" and w.stats().analysed_fps == 0
        release.set()
        assert wait_until(lambda: w.frames_total == 3 and w.state == "online")
        assert w.error is None
    finally:
        finished.set()
        w.stop()
        w.join(2)
