"""A memory-bounded ring of recent analysed frames, kept downscaled and JPEG-encoded."""

from __future__ import annotations

from collections import deque

import cv2
import numpy as np
import numpy.typing as npt

Frame = npt.NDArray[np.uint8]


class FrameRing:
    """Keeps frames of the last ``seconds`` (at most ``max_frames``), each ≤ ``max_side`` pixels.

    Memory is about ``max_frames`` × a JPEG of ``max_side`` (≈ 40 kB at 640 px).
    """

    def __init__(
        self, seconds: float, max_side: int = 640, quality: int = 80, max_frames: int = 120
    ) -> None:
        if seconds < 0 or max_side < 16 or max_frames < 1:
            raise ValueError("seconds ≥ 0, max_side ≥ 16 and max_frames ≥ 1 are required")
        self.seconds = seconds
        self.max_side = max_side
        self.quality = quality
        self._items: deque[tuple[float, bytes]] = deque(maxlen=max_frames)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def nbytes(self) -> int:
        return sum(len(b) for _, b in self._items)

    def add(self, t: float, frame: Frame) -> None:
        h, w = frame.shape[:2]
        scale = min(1.0, self.max_side / max(h, w))
        small = (
            cv2.resize(frame, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
            if scale < 1.0
            else frame
        )
        ok, buf = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, self.quality])
        if not ok:
            raise ValueError("JPEG encoding failed")
        self._items.append((t, buf.tobytes()))
        while self._items and self._items[0][0] < t - self.seconds:
            self._items.popleft()

    def window(self, start: float, end: float) -> list[tuple[float, Frame]]:
        """Decoded frames with ``start ≤ t ≤ end``, oldest first."""
        out = []
        for t, data in self._items:
            if start <= t <= end:
                frame = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
                out.append((t, frame))
        return out
