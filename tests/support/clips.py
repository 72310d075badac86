"""Cut and alter generated scenario videos for camera tests (PyAV, no re-encoding unless needed).

``trim`` makes the clip a camera that is switched on (or rebooted) at second ``start`` of a
scenario would send; ``freeze`` makes one whose picture stops changing for a while, as a camera
with a hung image pipeline does while its encoder goes on encoding the last picture.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from streetorder.edge.sources import AvSource


def trim(source: Path, target: Path, start: float) -> float:
    """Copy ``source`` from its first key frame at or after ``start`` seconds, with timestamps
    counted from there; return that key frame's second in ``source``."""
    import av

    begun: int | None = None
    with av.open(str(source)) as src, av.open(str(target), "w", format="mp4") as out:
        stream = src.streams.video[0]
        copy = out.add_stream_from_template(stream)
        base = stream.time_base
        assert base is not None
        for packet in src.demux(stream):
            if packet.pts is None:
                continue  # the demuxer's final flush packet
            if begun is None:
                if not packet.is_keyframe or packet.pts * base < start - 1e-6:
                    continue
                begun = packet.pts
            packet.pts -= begun
            if packet.dts is not None:
                packet.dts -= begun
            packet.stream = copy
            out.mux(packet)
    if begun is None:
        raise ValueError(f"{source}: no key frame after {start} s")
    return float(begun * base)


def freeze(
    source: Path, target: Path, start: float, end: float, frozen_from: float, frozen_until: float
) -> None:
    """Re-encode ``source`` from ``start`` to ``end`` seconds as the scenario generator encodes
    (H.264, CRF 28, a key frame every 2 s); between ``frozen_from`` and ``frozen_until``
    (seconds of ``source``) every frame is the picture shown at ``frozen_from``."""
    import av

    reader = AvSource(str(source), interval=0.0)
    with reader, av.open(str(target), "w", format="mp4") as out:
        reader.open()
        fps = Fraction(reader.fps or 5.0).limit_denominator(1000)
        stream = out.add_stream("libx264", rate=fps)
        stream.pix_fmt = "yuv420p"
        stream.options = {
            "preset": "veryfast",
            "crf": "28",
            "g": str(round(2 * fps)),
            "threads": "1",
        }
        still = None
        for t, frame in reader.frames():
            if t < start - 1e-6:
                continue
            if t >= end:
                break
            if frozen_from - 1e-6 <= t < frozen_until - 1e-6:
                still = frame if still is None else still
                frame = still
            if not stream.codec_context.is_open:
                stream.width, stream.height = frame.shape[1], frame.shape[0]
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="bgr24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
