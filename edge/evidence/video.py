"""Write BGR frames to an H.264 MP4 with PyAV (evidence clips, annotated replay video)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import numpy.typing as npt

Frame = npt.NDArray[np.uint8]


class Mp4Writer:
    """Append BGR frames with explicit timestamps (seconds); even sizes are enforced for yuv420p."""

    def __init__(self, path: str | Path, fps: float = 5.0, gop: int | None = None, crf: int = 28):
        import av

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fps = fps
        self._container = av.open(str(self.path), mode="w", format="mp4")
        rate = Fraction(fps).limit_denominator(1000)
        self._stream = self._container.add_stream("libx264", rate=rate)
        self._stream.pix_fmt = "yuv420p"
        self._stream.options = {"crf": str(crf), "preset": "veryfast"}
        if gop:
            self._stream.codec_context.gop_size = gop
        self._stream.time_base = Fraction(1, 1000)
        self._size: tuple[int, int] | None = None
        self._last_pts = -1

    def write(self, frame: Frame, t: float | None = None) -> None:
        import av

        h, w = frame.shape[:2]
        if self._size is None:
            self._size = (w - w % 2, h - h % 2)
            self._stream.width, self._stream.height = self._size
        frame = frame[: self._size[1], : self._size[0]]
        if frame.shape[1] != self._size[0] or frame.shape[0] != self._size[1]:
            import cv2

            frame = cv2.resize(frame, self._size)
        video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="bgr24")
        pts = int(round((t if t is not None else (self._last_pts + 1) / 1000) * 1000))
        pts = max(pts, self._last_pts + 1)
        video_frame.pts = pts
        video_frame.time_base = Fraction(1, 1000)
        self._last_pts = pts
        for packet in self._stream.encode(video_frame):
            self._container.mux(packet)

    def close(self) -> None:
        if self._container is None:
            return
        for packet in self._stream.encode():
            self._container.mux(packet)
        self._container.close()
        self._container = None

    def __enter__(self) -> Mp4Writer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
