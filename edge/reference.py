"""What a camera's frontage looks like when clear: the scene reference.

A detector trained on synthetic streets will score some fixed objects (a bollard, a sign post,
a shop's built-in shelf) as goods or racks on every frame. The dwell rule alone turns such a
mistake into an alert that comes back every day. The scene reference answers a second question
for each detection: *is there something here that is not part of the clear scene?* Only
detections whose region differs from the reference count toward dwell.

The reference is a low-resolution per-channel log-intensity image of the scene: a change of
light becomes an offset. A pixel has changed when its local gradient structure no longer matches
(a cosine over 5x5) or its colour ratios moved (shadows and dusk change intensity more than
colour); changes thinner than the shake radius are dropped. A box is new when enough of its
core changed. The reference comes from two sources:

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
#: log(intensity + 8) of every 8-bit level (a lookup table: lighting becomes an offset)
_LOG = np.log(np.arange(256, dtype=np.float32) + 8.0).reshape(1, 256)


@dataclass(frozen=True)
class ReferenceSettings:
    long_side: int = 192  # pixels of the reference image's long side
    learn_seconds: float = 1800.0  # time constant of the learned background
    warmup_seconds: float = 20.0  # unobstructed learning before a cell is known
    min_similarity: float = 0.5  # local gradient cosine under which a pixel changed
    min_changed_share: float = 0.25  # a box whose core changed this much is new
    max_hue_shift: float = 0.3  # change of log colour ratios (after the global one) that is new
    flat_gradient: float = 0.04  # mean log-gradient under which a region has no structure
    motion: float = 0.12  # log-intensity change between frames that counts as motion
    shift: int = 1  # camera shake tolerated, in reference pixels
    learn_every: float = 5.0  # seconds between background updates
    unknown_after: float = 10.0  # a change lasting this long is an unknown object (if wanted)
    unknown_min_cells: int = 36  # reference pixels an unknown object covers at least
    unknown_share: float = 0.5  # a box with more unknown cells than this counts as new


@dataclass
class SceneReference:
    """One camera's reference, at ``size`` (width, height) of its low-resolution image."""

    frame_size: tuple[int, int]
    settings: ReferenceSettings = field(default_factory=ReferenceSettings)
    background: npt.NDArray[np.float32] | None = None  # log intensity
    age: npt.NDArray[np.float32] | None = None  # seconds learned unobstructed, capped
    source: str = "learned"  # or "snapshot"
    _frame: Frame | None = None
    _previous: npt.NDArray[np.float32] | None = None
    _last_t: float | None = None
    _current: npt.NDArray[np.float32] | None = None
    _grad: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]] | None = None
    _ref_grad: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]] | None = None
    _changed: npt.NDArray[np.float64] | None = None
    _changed_mask: npt.NDArray[np.bool_] | None = None
    _changed_since: npt.NDArray[np.float64] | None = None

    def __post_init__(self) -> None:
        w, h = self.frame_size
        scale = self.settings.long_side / max(w, h)
        self.size = (max(8, round(w * scale)), max(8, round(h * scale)))
        self.scale = (self.size[0] / w, self.size[1] / h)

    # -- features ---------------------------------------------------------------------------
    def features(self, frame: Frame) -> npt.NDArray[np.float32]:
        """Low-resolution per-channel log intensity (h, w, 3) of a BGR or grey frame."""
        w, h = self.size
        # a bilinear step to twice the size, then 2x2 averaging: ~10x cheaper than one area
        # resize of a 1080p frame, and still averages away most sensor noise
        step = cv2.resize(frame, (2 * w, 2 * h), interpolation=cv2.INTER_LINEAR)
        small = cv2.resize(step, (w, h), interpolation=cv2.INTER_AREA)
        if small.ndim == 2:
            small = cv2.cvtColor(small, cv2.COLOR_GRAY2BGR)
        return cv2.GaussianBlur(cv2.LUT(small, _LOG), (3, 3), 0)

    @staticmethod
    def _gradients(img: npt.NDArray[np.float32]):
        grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3) / 8.0
        gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3) / 8.0
        return gx, gy

    # -- the per-frame steps ----------------------------------------------------------------
    def observe(self, frame: Frame) -> None:
        """Take the current frame (before ``is_new`` and ``learn``); its features are computed
        only when a question needs them."""
        self._frame = frame
        self._current = None
        self._grad = self._ref_grad = self._changed = None

    def _features_now(self) -> npt.NDArray[np.float32]:
        if self._current is None:
            assert self._frame is not None, "observe a frame first"
            self._current = self.features(self._frame)
            if self.background is None:  # first frame ever: nothing is known yet
                self.background = self._current.copy()
                self.age = np.zeros(self._current.shape[:2], np.float32)
        return self._current

    @property
    def known(self) -> npt.NDArray[np.bool_]:
        assert self.age is not None
        return self.age >= self.settings.warmup_seconds

    def similarity(self, xyxy: FloatArray) -> npt.NDArray[np.float32]:
        """(n,) share of each box's core that still looks like the reference (0..1); NaN where
        the box is mostly over unknown cells."""
        out = np.full(len(xyxy), np.nan, np.float32)
        if not len(out):
            return out
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
        (objects judged new) and outside what moved since the last update; at most every
        ``learn_every`` seconds (the background changes over minutes, not frames)."""
        if self._last_t is not None and t - self._last_t < self.settings.learn_every:
            return
        current = self._features_now()
        assert self.background is not None and self.age is not None
        dt = 0.0 if self._last_t is None else max(0.0, min(t - self._last_t, 60.0))
        self._last_t = t
        previous, self._previous = self._previous, current
        free = np.ones(self.background.shape[:2], bool)
        for box in np.asarray(obstructed, np.float32).reshape(-1, 4):
            x1, y1, x2, y2 = self._cells(box, grow=1)
            free[y1:y2, x1:x2] = False
        if previous is not None:
            moving = np.abs(current - previous).max(axis=2) > self.settings.motion
            moving = cv2.dilate(moving.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
            free &= ~moving
        if dt <= 0:
            return
        known = self.known
        slow = min(1.0, dt / self.settings.learn_seconds)
        # unknown cells take what they see quickly; known cells follow slowly (light drift)
        rate = np.where(known, slow, 0.5).astype(np.float32)
        rate[~free] = 0.0
        self.background += rate[..., None] * (current - self.background)
        cap = 2.0 * self.settings.warmup_seconds
        self.age[free] = np.minimum(self.age[free] + dt, cap)

    def set_snapshot(self, frame: Frame) -> None:
        """Make ``frame`` (a clear frontage) the reference: every cell becomes known."""
        self.background = self.features(frame)
        self.age = np.full(
            self.background.shape[:2], 2.0 * self.settings.warmup_seconds, np.float32
        )
        self.source = "snapshot"
        self._ref_grad = self._changed = None

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
        """Integral image of the pixels whose colour or local structure differs from the
        reference (computed once per frame). Changes thinner than the shake radius are dropped:
        a camera that moved a pixel or two changes edges, not areas."""
        if self._changed is not None:
            return self._changed
        current = self._features_now()
        assert self.background is not None
        if self._grad is None:
            self._grad = self._gradients(current)
        if self._ref_grad is None:
            self._ref_grad = self._gradients(self.background)
        gx, gy = self._grad
        rx, ry = self._ref_grad
        k = (5, 5)
        cur_e = cv2.boxFilter(gx * gx + gy * gy, -1, k)
        ref_e = cv2.boxFilter(rx * rx + ry * ry, -1, k)
        dot = cv2.boxFilter(gx * rx + gy * ry, -1, k)
        flat = self.settings.flat_gradient**2
        cos = dot / np.sqrt(np.maximum(cur_e, flat) * np.maximum(ref_e, flat))
        structure = (cos >= self.settings.min_similarity) | ((cur_e < flat) & (ref_e < flat))
        diff = current - self.background
        # a global change of light is no change (its median, from every third pixel)
        diff -= np.median(diff[::3, ::3].reshape(-1, 3), axis=0)
        # shadows and light change intensity; a new object changes colour or structure
        hue = np.maximum(np.abs(diff[..., 0] - diff[..., 1]), np.abs(diff[..., 2] - diff[..., 1]))
        changed = (~structure | (hue >= self.settings.max_hue_shift)).astype(np.uint8)
        s = self.settings.shift
        if s > 0:
            changed = cv2.morphologyEx(changed, cv2.MORPH_OPEN, np.ones((2 * s + 1,) * 2, np.uint8))
        self._changed_mask = changed.astype(bool)
        self._changed = cv2.integral(changed).astype(np.float64)
        return self._changed

    def lasting_changes(self, t: float, hide: FloatArray) -> FloatArray:
        """(n, 4) frame-pixel boxes of areas that changed and stayed changed for
        ``unknown_after`` seconds, outside ``hide`` boxes (objects the detector accounts for):
        something new that no class fits. Call once per analysed frame when wanted."""
        self._changed_integral()
        assert self._changed_mask is not None
        changed = self._changed_mask & self.known
        if self._changed_since is None or self._changed_since.shape != changed.shape:
            self._changed_since = np.full(changed.shape, np.inf, np.float64)
        since = self._changed_since
        since[~changed] = np.inf
        since[changed & np.isinf(since)] = t
        lasting = (t - since >= self.settings.unknown_after).astype(np.uint8)
        for box in np.asarray(hide, np.float32).reshape(-1, 4):
            x1, y1, x2, y2 = self._cells(box, grow=1)
            lasting[y1:y2, x1:x2] = 0
        n, _, stats, _ = cv2.connectedComponentsWithStats(lasting, connectivity=8)
        sx, sy = self.scale
        boxes = [
            (x / sx, y / sy, (x + w) / sx, (y + h) / sy)
            for x, y, w, h, area in stats[1:n].tolist()
            if area >= self.settings.unknown_min_cells
        ]
        return np.asarray(boxes, np.float32).reshape(-1, 4)


def _core(box: npt.NDArray[np.float32], keep: float = 0.8) -> npt.NDArray[np.float32]:
    """The middle ``keep`` of a box: its edges hold background around the object."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    hw, hh = (box[2] - box[0]) * keep / 2, (box[3] - box[1]) * keep / 2
    return np.array([cx - hw, cy - hh, cx + hw, cy + hh], np.float32)
