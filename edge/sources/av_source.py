"""Frames from files, RTSP/HTTP streams and local devices through FFmpeg (PyAV)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt

from streetorder.errors import StreetorderError

log = logging.getLogger(__name__)
Frame = npt.NDArray[np.uint8]

#: FFmpeg options for RTSP: TCP (no smeared frames on loss) and one second of probing, so a
#: reconnect shows its first frame in under a second instead of three (the SDP already says
#: what the stream is).
_RTSP_OPTIONS = {"rtsp_transport": "tcp", "analyzeduration": "1000000"}
OPEN_TIMEOUT = 15.0


class AvSource:
    """Yields ``(seconds since the first frame, BGR frame)`` every ``interval`` seconds.

    Only the frames kept are converted to BGR. With ``keyframes_only`` FFmpeg decodes key frames
    only (``skip_frame = NONKEY``), the cheapest way to sample H.264 every second or two.
    ``decoder_threads``: 1 (default) decodes on the calling thread, the least CPU per camera
    when many share two cores (measured ~30 % less than FFmpeg's threading); 0 = automatic,
    for replaying one file as fast as possible. ``read_timeout``: a network read blocked this
    long raises (a stalled camera), so the worker reconnects. A stream whose resolution changes
    raises too: the reconnect starts clean with the new size (a file just goes on).
    """

    def __init__(
        self,
        source: str,
        interval: float = 1.0,
        keyframes_only: bool = False,
        name: str | None = None,
        decoder_threads: int = 1,
        read_timeout: float = 20.0,
    ) -> None:
        if interval < 0:
            raise ValueError("interval must be ≥ 0")
        if read_timeout <= 0:
            raise ValueError("read_timeout must be > 0")
        self.source = source
        self.interval = interval
        self.keyframes_only = keyframes_only
        self.name = name or source
        self.decoder_threads = decoder_threads
        self.read_timeout = read_timeout
        self._container = None
        self.fps: float | None = None
        self.frame_size: tuple[int, int] | None = None

    def open(self) -> None:
        import av

        kind = source_kind(self.source)
        if kind == "file" and not Path(self.source).exists():
            raise StreetorderError(f"camera {self.name}: video file {self.source} not found")
        socket_timeout = str(int(self.read_timeout * 1_000_000))  # microseconds
        options = {
            "rtsp": {**_RTSP_OPTIONS, "timeout": socket_timeout},
            "http": {"timeout": socket_timeout},
        }.get(kind, {})
        fmt = "v4l2" if kind == "device" else None
        timeout = (max(OPEN_TIMEOUT, self.read_timeout), self.read_timeout)
        try:
            self._container = av.open(self.source, format=fmt, options=options, timeout=timeout)
            if not self._container.streams.video:
                raise StreetorderError(f"camera {self.name}: {self.source} has no video stream")
        except av.FFmpegError as exc:
            raise StreetorderError(
                f"camera {self.name}: cannot open {self.source}: {exc}"
            ) from None
        stream = self._container.streams.video[0]
        if self.decoder_threads == 1:
            # one thread per camera is the cheapest in CPU when many cameras share the cores
            stream.thread_type = "NONE"
        else:
            stream.thread_type = "AUTO"
            stream.codec_context.thread_count = max(0, self.decoder_threads)
        if self.keyframes_only:
            stream.codec_context.skip_frame = "NONKEY"
        rate = stream.average_rate or stream.guessed_rate
        self.fps = float(rate) if rate else None
        if stream.codec_context.width and stream.codec_context.height:
            self.frame_size = (stream.codec_context.width, stream.codec_context.height)

    def frames(self) -> Iterator[tuple[float, Frame]]:
        import av

        if self._container is None:
            self.open()
        assert self._container is not None
        stream = self._container.streams.video[0]
        first: float | None = None
        next_due = 0.0
        index = 0
        size: tuple[int, int] | None = None
        try:
            for frame in self._container.decode(stream):
                size = self.check_size(size, (frame.width, frame.height))
                t = _frame_seconds(frame, index, self.fps)
                index += 1
                if first is None:
                    first = t
                rel = t - first
                if rel + 1e-6 < next_due:
                    continue
                # keep a fixed cadence: the next frame is due one interval after this slot
                next_due = max(next_due + self.interval, rel + self.interval * 0.5)
                yield rel, frame.to_ndarray(format="bgr24")
        except av.FFmpegError as exc:
            raise StreetorderError(
                f"camera {self.name}: cannot decode {self.source}: {exc}"
            ) from None
        if index == 0:
            raise StreetorderError(f"camera {self.name}: {self.source} has no decodable frames")

    def check_size(self, first: tuple[int, int] | None, size: tuple[int, int]) -> tuple[int, int]:
        """The stream's size; raise if a stream (not a file) changed it since ``first``."""
        if first is None or first == size or source_kind(self.source) == "file":
            return size
        raise StreetorderError(
            f"camera {self.name}: resolution changed from {first[0]}x{first[1]} to "
            f"{size[0]}x{size[1]}; reconnecting"
        )

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None

    def __enter__(self) -> AvSource:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _frame_seconds(frame, index: int, fps: float | None) -> float:
    if frame.pts is not None and frame.time_base is not None:
        return float(frame.pts * frame.time_base)
    return index / (fps or 25.0)


def source_kind(source: str) -> str:
    """``rtsp``, ``http`` (also https, rtmp, udp...), ``device`` or ``file``."""
    lower = source.lower()
    if lower.startswith(("rtsp://", "rtsps://")):
        return "rtsp"
    if "://" in lower and not lower.startswith("file://"):
        return "http"
    if lower.startswith("/dev/video"):
        return "device"
    return "file"
