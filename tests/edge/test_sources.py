"""Frame sources: sampling interval, key-frame-only decoding, clear errors for bad input."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from streetorder.contracts import CameraConfig
from streetorder.edge.evidence.video import Mp4Writer
from streetorder.edge.sources import freeze, open_source, source_kind
from streetorder.errors import StreetorderError


def make_video(path: Path, seconds: float = 10.0, fps: float = 5.0, gop: int = 10) -> Path:
    """Frame i shows a bright bar whose x position encodes i."""
    with Mp4Writer(path, fps=fps, gop=gop, crf=18) as writer:
        for i in range(int(seconds * fps)):
            frame = np.full((180, 320, 3), 40, np.uint8)
            cv2.rectangle(frame, (i * 5, 60), (i * 5 + 4, 120), (255, 255, 255), -1)
            writer.write(frame, i / fps)
    return path


def camera(source: Path | str, **kw) -> CameraConfig:
    return CameraConfig(id="cam-01", source=str(source), **kw)


def bar_index(frame: np.ndarray) -> int:
    column = frame[90, :, :].mean(axis=1)
    return int(np.argmax(column > 150) // 5)


def test_samples_at_the_analysis_interval(tmp_path: Path) -> None:
    video = make_video(tmp_path / "v.mp4")
    src = open_source(camera(video, analysis_interval_seconds=1.0))
    got = list(src.frames())
    src.close()
    times = [t for t, _ in got]
    assert times == pytest.approx([float(i) for i in range(10)], abs=0.05)
    assert [bar_index(f) for _, f in got] == [i * 5 for i in range(10)]
    assert got[0][1].shape == (180, 320, 3) and got[0][1].dtype == np.uint8


def test_keyframes_only_decodes_key_frames(tmp_path: Path) -> None:
    video = make_video(tmp_path / "v.mp4", gop=10)  # a key frame every 2 s
    src = open_source(camera(video, analysis_interval_seconds=1.0, keyframes_only=True))
    got = list(src.frames())
    src.close()
    assert [round(t) for t, _ in got] == [0, 2, 4, 6, 8]
    assert [bar_index(f) for _, f in got] == [0, 10, 20, 30, 40]


def test_relative_source_uses_base_dir(tmp_path: Path) -> None:
    make_video(tmp_path / "v.mp4", seconds=2)
    src = open_source(camera("v.mp4", analysis_interval_seconds=0.5), base_dir=tmp_path)
    assert len(list(src.frames())) == 4


def test_missing_and_corrupt_videos_name_the_source(tmp_path: Path) -> None:
    with pytest.raises(StreetorderError, match=r"camera cam-01: video file .*nope.mp4 not found"):
        list(open_source(camera(tmp_path / "nope.mp4")).frames())
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x01garbage" * 1000)
    with pytest.raises(StreetorderError, match=r"camera cam-01: cannot (open|decode) .*bad.mp4"):
        list(open_source(camera(bad)).frames())


def test_truncated_video_yields_what_it_can_or_fails_clearly(tmp_path: Path) -> None:
    video = make_video(tmp_path / "v.mp4")
    data = video.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])  # moov atom at the end is lost: unreadable
    with pytest.raises(StreetorderError, match="cut.mp4"):
        list(open_source(camera(cut)).frames())


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("rtsp://10.0.0.2/stream1", "rtsp"),
        ("https://cam/live.m3u8", "http"),
        ("/dev/video0", "device"),
        ("videos/a.mp4", "file"),
        ("file:///x.mp4", "file"),
    ],
)
def test_source_kind(source: str, kind: str) -> None:
    assert source_kind(source) == kind


def picture(level: int, size: tuple[int, int] = (64, 36)) -> np.ndarray:
    return np.full((size[1], size[0], 3), level, np.uint8)


@pytest.mark.parametrize(
    ("frames", "verdicts"),
    [
        # (level, t): a new level is a new picture; 0.4 levels is within the tolerance
        ([(10, 0.0), (10, 1.0), (10, 2.9), (10, 3.0), (10, 9.0)], "FRRZZ"),
        ([(10, 0.0), (10, 2.0), (12, 2.5), (12, 4.0), (12, 5.5)], "FRFRZ"),
        ([(10, 0.0), (11, 1.0), (12, 2.0), (13, 3.0), (14, 4.0)], "FFFFF"),
    ],
)
def test_a_picture_is_frozen_once_unchanged_for_frozen_seconds(frames, verdicts: str) -> None:
    state, got = freeze.FreezeState(), ""
    for level, t in frames:
        state, verdict = freeze.step(
            state, freeze.signature(picture(level)), t, frozen_seconds=3.0, max_difference=0.5
        )
        got += {"fresh": "F", "repeat": "R", "frozen": "Z"}[verdict.value]
    assert got == verdicts


def test_small_noise_is_the_same_picture_and_a_new_size_is_a_new_one() -> None:
    rng = np.random.default_rng(0)
    still = picture(100)
    noisy = still.copy()
    noisy[rng.random(still.shape[:2]) < 0.2] += 1  # 0.2 level on average
    assert freeze.difference(freeze.signature(still), freeze.signature(noisy)) < 0.5
    assert freeze.difference(freeze.signature(still), freeze.signature(picture(101))) == 1.0
    other = freeze.signature(picture(100, (128, 72)))
    assert freeze.difference(freeze.signature(still), other) == float("inf")
    big = freeze.signature(picture(100, (1920, 1080)))
    assert big.shape == (270, 480)  # a grid about 480 samples wide, whatever the resolution
