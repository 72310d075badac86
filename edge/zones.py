"""Which detections are in a shop's frontage zone: anchor point inside + share of box inside."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

from streetorder.contracts import ZoneConfig
from streetorder.edge.detections import BoolArray, Detections, FloatArray

#: The zone mask used for inside shares is kept at most this many pixels on its long side.
_MASK_LONG_SIDE = 640
#: With a bottom-centre anchor, the share inside is measured on this lowest part of the box.
FOOTPRINT_SHARE = 0.25


def points_in_polygon(points: FloatArray, polygon: FloatArray) -> BoolArray:
    """(n,) mask of (n, 2) points inside a (k, 2) polygon (even-odd ray casting, vectorised)."""
    x, y = points[:, 0:1], points[:, 1:2]  # (n, 1)
    x1, y1 = polygon[:, 0], polygon[:, 1]  # (k,)
    x2, y2 = np.roll(x1, -1), np.roll(y1, -1)
    crosses = (y1 > y) != (y2 > y)  # (n, k)
    dy = np.where(y2 == y1, 1e-12, y2 - y1)
    x_at = x1 + (y - y1) * (x2 - x1) / dy
    return ((crosses & (x < x_at)).sum(axis=1) % 2 == 1).astype(bool)


@dataclass(frozen=True)
class Zone:
    """A zone's polygon in source pixels and the rule filters of its config.

    ``trigger(detections)`` returns the boolean mask of detections that occupy the zone.
    """

    config: ZoneConfig
    frame_size: tuple[int, int]  # width, height
    class_ids: npt.NDArray[np.int64]
    polygon: FloatArray = field(repr=False)
    _integral: npt.NDArray[np.int32] = field(repr=False)  # over the polygon's bounding box
    _scale: float = field(repr=False)
    _origin: tuple[int, int] = field(repr=False)  # bounding box corner, mask pixels

    @classmethod
    def build(cls, config: ZoneConfig, frame_size: tuple[int, int], names: tuple[str, ...]) -> Zone:
        """Place ``config`` on a (width, height) frame; ``names`` are the detector's classes."""
        w, h = frame_size
        if w <= 0 or h <= 0:
            raise ValueError(f"frame size {w}x{h} is empty")
        missing = [c for c in config.rules.classes if c not in names]
        if len(missing) == len(config.rules.classes):
            raise ValueError(
                f"zone {config.id}: none of its classes {list(config.rules.classes)} is known to "
                f"the model ({', '.join(names)})"
            )
        class_ids = np.array([names.index(c) for c in config.rules.classes if c in names], np.int64)
        polygon = np.asarray(config.polygon, np.float32) * np.array([w, h], np.float32)
        scale = min(1.0, _MASK_LONG_SIDE / max(w, h))
        # the mask only covers the polygon's bounding box: memory follows the zone's size
        pts = np.round(polygon * scale).astype(np.int32)
        x0, y0 = int(pts[:, 0].min()), int(pts[:, 1].min())
        mw, mh = int(pts[:, 0].max()) - x0 + 1, int(pts[:, 1].max()) - y0 + 1
        mask = np.zeros((mh, mw), np.uint8)
        cv2.fillPoly(mask, [pts - np.array([x0, y0], np.int32)], 1)
        integral = cv2.integral(mask)  # (mh + 1, mw + 1) int32
        return cls(config, (w, h), class_ids, polygon, integral, scale, (x0, y0))

    def inside_share(self, xyxy: FloatArray) -> FloatArray:
        """(n,) share of each box's area inside the polygon (pixel-accurate at mask scale)."""
        if len(xyxy) == 0:
            return np.zeros(0, np.float32)
        mh, mw = self._integral.shape[0] - 1, self._integral.shape[1] - 1
        b = np.round(xyxy * self._scale).astype(np.int64)
        b -= np.array([*self._origin, *self._origin], np.int64)
        x1, x2 = np.clip(b[:, 0], 0, mw), np.clip(b[:, 2], 0, mw)
        y1, y2 = np.clip(b[:, 1], 0, mh), np.clip(b[:, 3], 0, mh)
        ii = self._integral
        inside = ii[y2, x2] - ii[y1, x2] - ii[y2, x1] + ii[y1, x1]
        full = (np.round(xyxy[:, 2] * self._scale) - np.round(xyxy[:, 0] * self._scale)) * (
            np.round(xyxy[:, 3] * self._scale) - np.round(xyxy[:, 1] * self._scale)
        )
        share = np.where(full > 0, inside / np.maximum(full, 1), 0.0)
        # degenerate boxes (under one mask pixel) count as inside when their anchor is
        tiny = full <= 0
        if tiny.any():
            share[tiny] = points_in_polygon(_centers(xyxy[tiny]), self.polygon).astype(np.float64)
        return share.astype(np.float32)

    def trigger(self, detections: Detections) -> BoolArray:
        """(n,) mask: right class, score ≥ min_score, anchor inside, enough of the box inside.

        With the ``bottom_center`` anchor (a street camera looking at objects standing on the
        ground) the inside share is measured on the box's footprint band, its lowest
        ``FOOTPRINT_SHARE`` of height: the upper part of a rack or stall projects over the facade
        behind the zone, so a whole-box share would wrongly reject tall objects standing in it.
        """
        rules = self.config.rules
        if len(detections) == 0:
            return np.zeros(0, bool)
        mask = np.isin(detections.class_id, self.class_ids)
        mask &= detections.confidence >= rules.min_score
        return self.inside(detections, mask)

    def inside(self, detections: Detections, mask: BoolArray | None = None) -> BoolArray:
        """(n,) mask of detections (of those in ``mask``) standing in the zone: anchor inside and
        enough of the box (its footprint band) inside."""
        rules = self.config.rules
        mask = np.ones(len(detections), bool) if mask is None else mask
        if not mask.any():
            return mask
        idx = np.flatnonzero(mask)
        sub = detections.xyxy[idx]
        ok = points_in_polygon(detections.anchor(rules.anchor)[idx], self.polygon)
        if rules.min_inside_share > 0:
            if rules.anchor == "bottom_center":
                sub = sub.copy()
                sub[:, 1] = sub[:, 3] - (sub[:, 3] - sub[:, 1]) * FOOTPRINT_SHARE
            ok &= self.inside_share(sub) >= rules.min_inside_share
        mask[idx] = ok
        return mask


def _centers(xyxy: FloatArray) -> FloatArray:
    return np.stack([(xyxy[:, 0] + xyxy[:, 2]) / 2, (xyxy[:, 1] + xyxy[:, 3]) / 2], axis=1)
