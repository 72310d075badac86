"""A camera worker on a real RTSP camera (GStreamer's RTSP server): a stalled stream is reported
``stalled`` and then reconnected; a resolution change in the middle of the stream makes the
worker reconnect with backoff and carry on at the new size with the same pipeline, with a
decoder per camera and with the shared key-frame decoders (``keyframes_only``)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from streetorder.contracts import CameraConfig
from streetorder.edge.runtime.keyframes import DecoderPool, KeyframeSource
from streetorder.edge.runtime.worker import CameraWorker
from streetorder.edge.sources import open_source
from streetorder.edge.sources.health import CameraHealth
from tests.support.rtsp import RtspCamera

pytestmark = [pytest.mark.rtsp, pytest.mark.slow]
SMALL, LARGE = (320, 180), (480, 270)


class SizeRecorder:
    """A pipeline that notes the size of every frame it is given."""

    def __init__(self, camera: CameraConfig) -> None:
        self.sizes: list[tuple[int, int]] = []

    def process(self, frame: np.ndarray, t: float) -> list:
        self.sizes.append((frame.shape[1], frame.shape[0]))
        return []


@pytest.fixture
def camera(tmp_path: Path) -> Iterator[RtspCamera]:
    cam = RtspCamera(tmp_path / "rtsp")
    yield cam
    cam.stop()


def per_camera_decoder(health: CameraHealth):
    return lambda cam: open_source(cam, read_timeout=health.read_timeout)


def shared_keyframe_decoders(health: CameraHealth):
    pool = DecoderPool(1)
    return lambda cam: KeyframeSource(
        cam.source, interval=0.2, name=cam.id, pool=pool, read_timeout=health.read_timeout
    )


@pytest.fixture
def run_worker() -> Iterator:
    workers: list[CameraWorker] = []

    def start(
        url: str, health: CameraHealth, sources=per_camera_decoder
    ) -> tuple[CameraWorker, list[SizeRecorder]]:
        pipelines: list[SizeRecorder] = []

        def make_pipeline(camera: CameraConfig) -> SizeRecorder:
            pipelines.append(SizeRecorder(camera))
            return pipelines[-1]

        worker = CameraWorker(
            CameraConfig(id="cam-01", source=url, analysis_interval_seconds=0.2),
            sources(health),
            make_pipeline,
            lambda cam, messages: None,
            backoff_base=0.2,
            backoff_cap=1.0,
            health=health,
        )
        workers.append(worker)
        worker.start()
        return worker, pipelines

    yield start
    for worker in workers:
        worker.stop()
    for worker in workers:
        worker.join(10)


def wait_until(predicate, timeout: float, every: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return predicate()


def test_a_stalled_camera_is_reported_stalled_then_reconnected(
    camera: RtspCamera, run_worker
) -> None:
    camera.serve_pattern(SMALL)
    worker, _ = run_worker(camera.url, CameraHealth(stall_seconds=1.5))
    assert wait_until(lambda: worker.frames_total >= 5, 20), camera.log()
    assert worker.stats().state == "online"

    camera.stall()  # the connection stays open; nothing more arrives
    assert wait_until(lambda: worker.state == "stalled", 10)
    stats = worker.stats()
    assert stats.state == "stalled" and stats.error is not None
    assert stats.error.startswith("no frame for") and stats.analysed_fps == 0
    assert stats.since is not None and stats.since <= stats.last_frame_at  # type: ignore[operator]
    # twice the stall time without data: the worker drops the connection and retries
    assert wait_until(lambda: worker.state == "reconnecting", 10)
    assert "cam-01" in (worker.error or "")

    camera.resume()
    resumed_at = worker.frames_total
    assert wait_until(lambda: worker.frames_total >= resumed_at + 5, 30), camera.log()
    assert worker.state == "online" and worker.error is None and worker.reconnects >= 1


@pytest.mark.parametrize("sources", [per_camera_decoder, shared_keyframe_decoders])
def test_a_resolution_change_reconnects_with_backoff_and_goes_on_at_the_new_size(
    camera: RtspCamera, run_worker, caplog: pytest.LogCaptureFixture, sources
) -> None:
    camera.serve_pattern(SMALL, LARGE)
    caplog.set_level(logging.WARNING, logger="streetorder.edge.runtime.worker")
    worker, pipelines = run_worker(camera.url, CameraHealth(), sources)
    assert wait_until(lambda: worker.frames_total >= 3, 20), camera.log()
    assert worker.reconnects == 0

    camera.next_size()
    (pipeline,) = pipelines
    assert wait_until(lambda: pipeline.sizes.count(LARGE) >= 3, 30), camera.log()
    assert len(pipelines) == 1  # the same pipeline (its episodes) goes on
    switched = pipeline.sizes.index(LARGE)
    assert set(pipeline.sizes[:switched]) == {SMALL} and set(pipeline.sizes[switched:]) == {LARGE}
    assert worker.reconnects >= 1 and worker.state == "online"
    assert "resolution changed from 320x180 to 480x270; reconnecting" in caplog.text
