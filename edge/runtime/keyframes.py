"""Key-frame-only cameras sharing a small pool of decoders: memory that does not grow with N.

An H.264/HEVC decoder holds its reference-frame buffers (≈ 24 MB at 1080p) for as long as it
is open, so one decoder per camera costs 8 × 24 MB for 8 cameras even when each decodes one
key frame every two seconds. A key frame (IDR) needs no earlier frame, so here each camera
only *demuxes* (cheap: no decoding), skips every packet that is not a due key frame, and
hands the ones it keeps, made self-contained (Annex B with the parameter sets in front), to
one of ``pool_size`` shared decoders, which is flushed after each frame.

Codecs other than H.264/HEVC fall back to the per-camera decoder of :class:`AvSource`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import numpy.typing as npt

from streetorder.edge.sources import AvSource
from streetorder.errors import StreetorderError

Frame = npt.NDArray[np.uint8]
SHARED_CODECS = ("h264", "hevc")


class DecoderPool:
    """At most ``size`` single-threaded decoders per codec, lent out one frame at a time."""

    def __init__(self, size: int = 2) -> None:
        if size < 1:
            raise ValueError("the pool needs at least one decoder")
        self.size = size
        self._lock = threading.Lock()
        self._free: dict[str, queue.Queue[Any]] = {}
        self._made: dict[str, int] = {}

    @contextmanager
    def decoder(self, codec: str) -> Iterator[Any]:
        import av

        with self._lock:
            free = self._free.setdefault(codec, queue.Queue())
            if free.empty() and self._made.get(codec, 0) < self.size:
                ctx = av.CodecContext.create(codec, "r")
                ctx.thread_type = "NONE"
                free.put(ctx)
                self._made[codec] = self._made.get(codec, 0) + 1
        ctx = free.get()
        try:
            yield ctx
        finally:
            ctx.flush_buffers()
            free.put(ctx)

    def decode_one(self, codec: str, packets: list[Any]) -> Any | None:
        """Decode a self-contained key frame; the last picture it gives, or None."""
        with self.decoder(codec) as ctx:
            frames = []
            for packet in packets:
                frames += ctx.decode(packet)
            frames += ctx.decode(None)  # drain: a lone IDR may sit in the reorder delay
        return frames[-1] if frames else None


class KeyframeSource(AvSource):
    """An :class:`AvSource` whose key frames are decoded by a shared :class:`DecoderPool`."""

    def __init__(self, *args: Any, pool: DecoderPool, **kwargs: Any) -> None:
        super().__init__(*args, keyframes_only=True, **kwargs)
        self.pool = pool
        #: Called with a key frame's time before it is decoded; False stops the source. A
        #: file played in real time waits here, holding a packet rather than a decoded frame.
        self.pace: Callable[[float], bool] | None = None

    def frames(self) -> Iterator[tuple[float, Frame]]:
        import av
        from av.bitstream import BitStreamFilterContext

        if self._container is None:
            self.open()
        container = self._container
        assert container is not None
        stream = container.streams.video[0]
        codec = stream.codec_context.name
        if codec not in SHARED_CODECS:
            yield from super().frames()
            return
        extradata = bytes(stream.codec_context.extradata or b"")
        length_prefixed = extradata[:1] == b"\x01"  # avcC/hvcC (MP4); else Annex B (RTSP, TS)
        bsf = BitStreamFilterContext(f"{codec}_mp4toannexb", stream) if length_prefixed else None
        time_base = stream.time_base
        first: float | None = None
        next_due = 0.0
        demuxed = 0
        size: tuple[int, int] | None = None
        try:
            for packet in container.demux(stream):
                if packet.size == 0:
                    continue
                demuxed += 1
                if not packet.is_keyframe or packet.pts is None or time_base is None:
                    continue
                t = float(packet.pts * time_base)
                if first is None:
                    first = t
                rel = t - first
                if rel + 1e-6 < next_due:
                    continue
                if self.pace is not None and not self.pace(rel):
                    return
                if bsf is not None:
                    packets = bsf.filter(packet)
                else:
                    packets = [av.Packet(extradata + bytes(packet))] if extradata else [packet]
                picture = self.pool.decode_one(codec, packets)
                if picture is None:
                    continue
                size = self.check_size(size, (picture.width, picture.height))
                next_due = max(next_due + self.interval, rel + self.interval * 0.5)
                image = picture.to_ndarray(format="bgr24")
                # hold nothing decoded while waiting for the next key frame (seconds, per camera)
                del picture, packets
                yield rel, image
                del image
        except av.FFmpegError as exc:
            raise StreetorderError(
                f"camera {self.name}: cannot decode {self.source}: {exc}"
            ) from None
        if demuxed == 0:
            raise StreetorderError(f"camera {self.name}: {self.source} has no decodable frames")
