"""What a camera's frontage looks like when clear: the scene reference.

A detector trained on synthetic streets will score some fixed objects (a bollard, a sign post,
a shop's built-in shelf) as goods or racks on every frame. The dwell rule alone turns such a
mistake into an alert that comes back every day. The scene reference answers a second question
for each detection: *is there something here that is not part of the clear scene?* Only
detections whose region differs from the reference count toward dwell.

The reference is a low-resolution log-intensity image of the scene (lighting-robust: log
intensity makes gradients ratios, and the comparison is a normalised correlation of gradients,
so a darker evening or an IR image of the same structure still matches; a one-pixel search
absorbs small camera shake). It comes from two sources:

- **learned**: a slow running average (time constant ``learn_seconds``) updated only where
  nothing new stands and nothing moves. Regions under objects judged new are never learned
  while they stay, so goods left out for hours are not absorbed. A cell is *known* once it has
  been learned unobstructed for ``warmup_seconds``; a detection mostly over unknown cells
  counts as new (goods already out when a node starts for the first time are caught).
- **snapshot**: an operator sets it from a chosen moment (e.g. after closing time), or an
  installer gives an image; every cell becomes known at once. Learning then carries on from it.

The learned state is saved with ``arrays()`` and restored with ``restore()``, so a restart
keeps the reference and goods already out at restart are still new.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

from streetorder.edge.detections import FloatArray

Frame = npt.NDArray[np.uint8]
#: Version of the saved arrays; a saved reference of another version is ignored.
FORMAT = 1


@dataclass(frozen=True)
class ReferenceSettings:
    long_side: int = 192  # pixels of the reference image's long side
    learn_seconds: float = 1800.0  # time constant of the learned background
    warmup_seconds: float = 20.0  # unobstructed learning before a cell is known
    min_similarity: float = 0.5  # local gradient cosine under which a pixel changed
    min_changed_share: float = 0.25  # a box whose core changed this much is new
    max_hue_shift: float = 0.15  # change of log colour ratios (after the global one) that is new
    flat_gradient: float = 0.04  # mean log-gradient under which a region has no structure
    motion: float = 0.12  # log-intensity change between frames that counts as motion
    shift: int = 1  # search radius in reference pixels (camera shake)
    unknown_share: float = 0.5  # a box with more unknown cells than this counts as new


@dataclass
class SceneReference:
    """One camera's reference, at ``size`` (width, height) of its low-resolution image."""

    frame_size: tuple[int, int]
    settings: ReferenceSettings = field(default_factory=ReferenceSettings)
    background: npt.NDArray[np.float32] | None = None  # log intensity
    age: npt.NDArray[np.float32] | None = None  # seconds learned unobstructed, capped
    source: str = "learned"  # or "snapshot"
    _previous: npt.NDArray[np.float32] | None = None
    _last_t: float | None = None
    _current: npt.NDArray[np.float32] | None = None
    _grad: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]] | None = None
    _ref_grad: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]] | None = None
    _changed: npt.NDArray[np.float64] | None = None

    def __post_init__(self) -> None:
        w, h = self.frame_size
        scale = self.settings.long_side / max(w, h)
        self.size = (max(8, round(w * scale)), max(8, round(h * scale)))
        self.scale = (self.size[0] / w, self.size[1] / h)

    # -- features ---------------------------------------------------------------------------
    def features(self, frame: Frame) -> npt.NDArray[np.float32]:
        """Low-resolution per-channel log intensity (h, w, 3) of a BGR or grey frame."""
        small = cv2.resize(frame, self.size, interpolation=cv2.INTER_AREA)
        if small.ndim == 2:
            small = cv2.cvtColor(small, cv2.COLOR_GRAY2BGR)
        log_i = np.log(small.astype(np.float32) + 8.0)
        return cv2.GaussianBlur(log_i, (3, 3), 0)

    @staticmethod
    def _gradients(img: npt.NDArray[np.float32]):
        img = img.mean(axis=2)
        gx = cv2.Sobel(img, cv2.CV_32F, 1, 0, ksize=3) / 8.0
        gy = cv2.Sobel(img, cv2.CV_32F, 0, 1, ksize=3) / 8.0
        return gx, gy

    # -- the per-frame steps ----------------------------------------------------------------
    def observe(self, frame: Frame) -> None:
        """Take the current frame (before ``is_new`` and ``learn``)."""
        cur = self.features(frame)
        if self.background is None:  # first frame ever: nothing is known yet
            self.background = cur.copy()
            self.age = np.zeros(cur.shape[:2], np.float32)
        self._previous = self._current
        self._current = cur
        self._grad = self._gradients(cur)
        self._ref_grad = self._gradients(self.background)
        self._changed = None

    @property
    def known(self) -> npt.NDArray[np.bool_]:
        assert self.age is not None
        return self.age >= self.settings.warmup_seconds

    def similarity(self, xyxy: FloatArray) -> npt.NDArray[np.float32]:
        """(n,) share of each box's core that still looks like the reference (0..1); NaN where
        the box is mostly over unknown cells."""
        out = np.full(len(xyxy), np.nan, np.float32)
        changed = self._changed_integral()
        known = self.known
        for i, box in enumerate(np.asarray(xyxy, np.float32).reshape(-1, 4)):
            x1, y1, x2, y2 = self._cells(_core(box))
            if known[y1:y2, x1:x2].mean() < 1.0 - self.settings.unknown_share:
                continue
            n = changed[y2, x2] - changed[y1, x2] - changed[y2, x1] + changed[y1, x1]
            out[i] = 1.0 - n / ((y2 - y1) * (x2 - x1))
        return out

    def is_new(self, xyxy: FloatArray) -> npt.NDArray[np.bool_]:
        """(n,) True where a box's region differs from the reference (or is unknown)."""
        sim = self.similarity(xyxy)
        return np.isnan(sim) | (sim < 1.0 - self.settings.min_changed_share)

    def learn(self, t: float, obstructed: FloatArray) -> None:
        """Update the learned background at time ``t`` (seconds) outside ``obstructed`` boxes
        (objects judged new) and outside moving pixels."""
        assert self._current is not None and self.background is not None and self.age is not None
        dt = 0.0 if self._last_t is None else max(0.0, min(t - self._last_t, 60.0))
        self._last_t = t
        free = np.ones(self.background.shape[:2], bool)
        for box in np.asarray(obstructed, np.float32).reshape(-1, 4):
            x1, y1, x2, y2 = self._cells(box, grow=1)
            free[y1:y2, x1:x2] = False
        if self._previous is not None:
            moving = np.abs(self._current - self._previous).max(axis=2) > self.settings.motion
            moving = cv2.dilate(moving.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
            free &= ~moving
        if dt <= 0:
            return
        known = self.known
        slow = min(1.0, dt / self.settings.learn_seconds)
        # unknown cells take what they see quickly; known cells follow slowly (light drift)
        rate = np.where(known, slow, 0.5).astype(np.float32)
        rate[~free] = 0.0
        self.background += rate[..., None] * (self._current - self.background)
        cap = 2.0 * self.settings.warmup_seconds
        self.age[free] = np.minimum(self.age[free] + dt, cap)

    def set_snapshot(self, frame: Frame) -> None:
        """Make ``frame`` (a clear frontage) the reference: every cell becomes known."""
        self.background = self.features(frame)
        self.age = np.full(
            self.background.shape[:2], 2.0 * self.settings.warmup_seconds, np.float32
        )
        self.source = "snapshot"
        self._ref_grad = None if self._current is None else self._gradients(self.background)
        self._changed = None

    # -- saving -----------------------------------------------------------------------------
    def arrays(self) -> dict[str, np.ndarray]:
        assert self.background is not None and self.age is not None
        return {
            "format": np.array(FORMAT),
            "size": np.array(self.size),
            "frame_size": np.array(self.frame_size),
            "background": self.background,
            "age": self.age,
            "source": np.array(self.source),
        }

    def restore(self, arrays: dict[str, np.ndarray]) -> bool:
        """Load saved arrays; False (and nothing changed) when they do not fit this camera."""
        try:
            fits = (
                int(arrays["format"]) == FORMAT
                and tuple(arrays["size"]) == self.size
                and tuple(arrays["frame_size"]) == self.frame_size
            )
            background = np.asarray(arrays["background"], np.float32)
            age = np.asarray(arrays["age"], np.float32)
            source = str(arrays["source"])
        except (KeyError, ValueError, TypeError):
            return False
        if (
            not fits
            or background.shape != (self.size[1], self.size[0], 3)
            or age.shape != (background.shape[:2])
        ):
            return False
        self.background, self.age, self.source = background, age, source
        return True

    # -- helpers ----------------------------------------------------------------------------
    def _cells(self, box: npt.NDArray[np.float32], grow: int = 0) -> tuple[int, int, int, int]:
        sx, sy = self.scale
        w, h = self.size
        x1 = int(np.clip(np.floor(box[0] * sx) - grow, 0, w - 1))
        y1 = int(np.clip(np.floor(box[1] * sy) - grow, 0, h - 1))
        x2 = int(np.clip(np.ceil(box[2] * sx) + grow, x1 + 1, w))
        y2 = int(np.clip(np.ceil(box[3] * sy) + grow, y1 + 1, h))
        return x1, y1, x2, y2

    def _changed_integral(self) -> npt.NDArray[np.float64]:
        """Integral image of the pixels whose local structure differs from the reference under
        every shift of up to ``shift`` pixels (computed once per frame)."""
        if self._changed is not None:
            return self._changed
        assert self._grad is not None and self._ref_grad is not None
        assert self._current is not None and self.background is not None
        gx, gy = self._grad
        rx, ry = self._ref_grad
        s = self.settings.shift
        k = (5, 5)
        cur_e = cv2.boxFilter(gx * gx + gy * gy, -1, k, normalize=True)
        flat = self.settings.flat_gradient**2
        cur = self._current
        # a global change of light (gain, white balance) is not a change of the scene
        offset = np.median((cur - self.background).reshape(-1, 3), axis=0)
        same = np.zeros(gx.shape, bool)
        pad = cv2.BORDER_REPLICATE
        px = cv2.copyMakeBorder(rx, s, s, s, s, pad)
        py = cv2.copyMakeBorder(ry, s, s, s, s, pad)
        pb = cv2.copyMakeBorder(self.background, s, s, s, s, pad)
        h, w = gx.shape
        for dy in range(2 * s + 1):
            for dx in range(2 * s + 1):
                sx, sy = px[dy : dy + h, dx : dx + w], py[dy : dy + h, dx : dx + w]
                ref_e = cv2.boxFilter(sx * sx + sy * sy, -1, k, normalize=True)
                dot = cv2.boxFilter(gx * sx + gy * sy, -1, k, normalize=True)
                cos = dot / np.sqrt(np.maximum(cur_e, flat) * np.maximum(ref_e, flat))
                structure = (cos >= self.settings.min_similarity) | (
                    (cur_e < flat) & (ref_e < flat)
                )
                diff = cur - pb[dy : dy + h, dx : dx + w] - offset
                # shadows and light change intensity; a new object changes colour or structure
                hue = np.maximum(
                    np.abs(diff[..., 0] - diff[..., 1]), np.abs(diff[..., 2] - diff[..., 1])
                )
                same |= structure & (hue < self.settings.max_hue_shift)
        self._changed = cv2.integral((~same).astype(np.uint8)).astype(np.float64)
        return self._changed


def _core(box: npt.NDArray[np.float32], keep: float = 0.8) -> npt.NDArray[np.float32]:
    """The middle ``keep`` of a box: its edges hold background around the object."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    hw, hh = (box[2] - box[0]) * keep / 2, (box[3] - box[1]) * keep / 2
    return np.array([cx - hw, cy - hh, cx + hw, cy + hh], np.float32)
