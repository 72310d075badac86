"""Ultralytics-exact letterbox: scale to fit, pad with grey 114 centred, and the inverse mapping."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

PAD_VALUE = 114


@dataclass(frozen=True)
class Letterbox:
    """How a source frame was placed in the network input: ``input = source * ratio + pad``."""

    ratio: float
    pad_left: int
    pad_top: int
    source_size: tuple[int, int]  # width, height
    input_size: tuple[int, int]  # width, height

    def to_source(self, xyxy: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Map (n, 4) boxes from input pixels back to source pixels, clipped to the frame."""
        out = np.empty_like(xyxy, dtype=np.float32)
        out[:, [0, 2]] = (xyxy[:, [0, 2]] - self.pad_left) / self.ratio
        out[:, [1, 3]] = (xyxy[:, [1, 3]] - self.pad_top) / self.ratio
        w, h = self.source_size
        out[:, [0, 2]] = np.clip(out[:, [0, 2]], 0, w)
        out[:, [1, 3]] = np.clip(out[:, [1, 3]], 0, h)
        return out

    def to_input(self, xyxy: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Map (n, 4) boxes from source pixels to input pixels (the forward transform)."""
        out = np.asarray(xyxy, np.float32) * self.ratio
        out[:, [0, 2]] += self.pad_left
        out[:, [1, 3]] += self.pad_top
        return out


def plan_letterbox(
    source_size: tuple[int, int], input_size: tuple[int, int], stride: int | None = None
) -> Letterbox:
    """Compute the letterbox for a (width, height) frame into a (width, height) input.

    With ``stride`` the input shrinks to the smallest stride multiple that holds the scaled frame
    (Ultralytics' ``auto`` rectangle, for models with dynamic input shapes).
    """
    sw, sh = source_size
    iw, ih = input_size
    if sw <= 0 or sh <= 0:
        raise ValueError(f"frame size {sw}x{sh} is empty")
    r = min(ih / sh, iw / sw)
    new_w, new_h = int(round(sw * r)), int(round(sh * r))
    dw, dh = iw - new_w, ih - new_h
    if stride:
        dw, dh = dw % stride, dh % stride
        iw, ih = new_w + dw, new_h + dh
    left, top = int(round(dw / 2 - 0.1)), int(round(dh / 2 - 0.1))
    return Letterbox(r, left, top, (sw, sh), (iw, ih))


def apply_letterbox(frame: npt.NDArray[np.uint8], box: Letterbox) -> npt.NDArray[np.uint8]:
    """Resize ``frame`` (H, W, 3) and pad it into the input canvas described by ``box``."""
    sw, sh = box.source_size
    if frame.shape[1] != sw or frame.shape[0] != sh:
        raise ValueError(f"frame is {frame.shape[1]}x{frame.shape[0]}, letterbox planned {sw}x{sh}")
    iw, ih = box.input_size
    new_w, new_h = int(round(sw * box.ratio)), int(round(sh * box.ratio))
    resized = (
        frame
        if (new_w, new_h) == (sw, sh)
        else cv2.resize(frame, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    )
    right, bottom = iw - new_w - box.pad_left, ih - new_h - box.pad_top
    return cv2.copyMakeBorder(
        resized,
        box.pad_top,
        bottom,
        box.pad_left,
        right,
        cv2.BORDER_CONSTANT,
        value=(PAD_VALUE, PAD_VALUE, PAD_VALUE),
    )
