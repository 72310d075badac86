"""Key-frame sources sharing decoders give the same frames as a decoder per camera."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from streetorder.edge.runtime.keyframes import DecoderPool, KeyframeSource
from streetorder.edge.sources import AvSource

av = pytest.importorskip("av")


def write_video(path: Path, size: tuple[int, int], seconds: float, fps: int, gop: int) -> None:
    """Each frame's brightness encodes its index, so a decoded frame says which one it is."""
    fmt = "mpegts" if path.suffix == ".ts" else None
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.options = {"g": str(gop), "keyint_min": str(gop), "sc_threshold": "0", "crf": "18"}
        for i in range(int(seconds * fps)):
            frame = np.full((size[1], size[0], 3), (i * 5) % 250, np.uint8)
            frame[: size[1] // 4, : size[0] // 4] = 255 - (i * 5) % 250  # some structure
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="bgr24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("kf")
    out = {
        "mp4": d / "a.mp4",  # length-prefixed (avcC): converted to Annex B for the shared decoder
        "ts": d / "b.ts",  # Annex B already (as RTSP delivers it)
        "small": d / "c.mp4",  # another resolution through the same decoders
    }
    write_video(out["mp4"], (320, 240), 6, 10, 10)
    write_video(out["ts"], (320, 240), 6, 10, 5)
    write_video(out["small"], (176, 144), 6, 10, 10)
    return out


def collect(source) -> list[tuple[float, np.ndarray]]:
    try:
        return list(source.frames())
    finally:
        source.close()


@pytest.mark.parametrize("name", ["mp4", "ts", "small"])
def test_shared_decoders_give_the_frames_a_private_decoder_gives(
    videos: dict[str, Path], name: str
) -> None:
    path = str(videos[name])
    shared = collect(KeyframeSource(path, interval=2.0, pool=DecoderPool(1)))
    private = collect(AvSource(path, interval=2.0, keyframes_only=True))
    assert [t for t, _ in shared] == pytest.approx([t for t, _ in private])
    assert [round(t, 3) for t, _ in shared] == [0.0, 2.0, 4.0]
    for (_, a), (_, b) in zip(shared, private, strict=True):
        assert a.shape == b.shape
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 2


def test_many_cameras_interleaved_on_one_decoder_each_see_their_own_frames(
    videos: dict[str, Path],
) -> None:
    pool = DecoderPool(1)
    results: dict[str, list] = {}

    def run(name: str) -> None:
        results[name] = collect(KeyframeSource(str(videos[name]), interval=1.0, pool=pool))

    threads = [threading.Thread(target=run, args=(n,)) for n in ("mp4", "ts", "small")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for name, frames in results.items():
        private = collect(AvSource(str(videos[name]), interval=1.0, keyframes_only=True))
        assert len(frames) == len(private) == 6
        for (_, a), (_, b) in zip(frames, private, strict=True):
            assert a.shape == b.shape and np.abs(a.astype(int) - b.astype(int)).max() <= 2


def test_pacing_happens_before_decoding_and_can_stop_the_source(videos: dict[str, Path]) -> None:
    source = KeyframeSource(str(videos["mp4"]), interval=1.0, pool=DecoderPool(1))
    asked: list[float] = []
    source.pace = lambda t: asked.append(t) or t < 3.0
    frames = collect(source)
    assert asked == [0.0, 1.0, 2.0, 3.0]
    assert [round(t, 3) for t, _ in frames] == [0.0, 1.0, 2.0]
