"""Frame sources: sampling interval, key-frame-only decoding, clear errors for bad input."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from streetorder.contracts import CameraConfig
from streetorder.edge.evidence.video import Mp4Writer
from streetorder.edge.sources import open_source, source_kind
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
