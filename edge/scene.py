"""Which detections are about something new in the scene: ignore regions, the scene reference,
and a per-track verdict.

``CameraPipeline`` asks, for every frame: drop detections inside reviewers' ignore regions
(``CameraConfig.ignore``, fixed structures), then judge each tracked object *new* (its region
differs from the scene reference, ``edge/reference.py``) or *part of the scene*. The verdict is
a running vote per track (an exponential average), so a person walking past a bollard for a
moment does not turn the bollard into a new object. Zones with ``only_new_objects`` count new
objects only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from streetorder.contracts import CameraConfig
from streetorder.edge.detections import BoolArray, Detections, box_overlaps
from streetorder.edge.reference import Frame, ReferenceSettings, SceneReference

log = logging.getLogger(__name__)

#: Weight of the newest frame in a track's running verdict.
VOTE_WEIGHT = 0.3
#: A detection this much inside an ignore region (and covering enough of it) is dropped.
IGNORE_INSIDE_SHARE = 0.6
IGNORE_COVER_SHARE = 0.3
#: Class id of an unknown object (a lasting change no detection accounts for).
UNKNOWN = -1
UNKNOWN_NAME = "unknown_object"
#: A reference image that cannot be read is tried again this often (seconds of stream time).
IMAGE_RETRY_SECONDS = 60.0
#: Save the learned reference this often (seconds of stream time).
SAVE_EVERY_SECONDS = 120.0


class ReferenceStore(Protocol):
    """Where a camera's learned reference survives restarts (``edge/runtime/reference_store``)."""

    def load(self) -> dict[str, np.ndarray] | None: ...

    def save(self, arrays: dict[str, np.ndarray]) -> None: ...


@dataclass
class _Verdict:
    """A track's running verdict: an exponential average of its per-frame "new" votes, so a
    passer-by in front of a fixed post for a frame or two changes nothing, and a box that
    turns into something else (goods taken away from in front of a shelf) follows within a few
    frames."""

    score: float | None = None

    def vote(self, new: bool) -> None:
        value = 1.0 if new else 0.0
        self.score = (
            value if self.score is None else self.score + VOTE_WEIGHT * (value - self.score)
        )

    @property
    def is_new(self) -> bool:
        return self.score is None or self.score >= 0.5


class SceneFilter:
    """One camera's ignore regions, scene reference and per-track verdicts."""

    def __init__(
        self,
        camera: CameraConfig,
        base_dir: Path | None = None,
        settings: ReferenceSettings | None = None,
    ) -> None:
        self.camera = camera
        self.base_dir = base_dir or Path.cwd()
        self.settings = settings or ReferenceSettings()
        self.enabled = any(
            z.rules.only_new_objects or z.rules.unknown_objects for z in camera.zones
        )
        self.wants_unknown = any(z.rules.unknown_objects for z in camera.zones)
        self.reference: SceneReference | None = None
        self.store: ReferenceStore | None = None
        self.applied: str | None = None  # key of the explicit reference in force
        self._votes: dict[int, _Verdict] = {}
        self._ignore_px: np.ndarray = np.zeros((0, 4), np.float32)
        self._frame_size: tuple[int, int] | None = None
        self._saved_at: float | None = None
        self._failed: set[str] = set()
        self._image_retry_at = -np.inf

    # -- ignore regions ---------------------------------------------------------------------
    def outside_ignored(self, detections: Detections, frame_size: tuple[int, int]) -> BoolArray:
        """(n,) mask of detections that are not a reviewer-masked fixed structure."""
        keep = np.ones(len(detections), bool)
        if not self.camera.ignore or not len(detections):
            return keep
        if frame_size != self._frame_size:
            w, h = frame_size
            boxes = [r.box for r in self.camera.ignore]
            self._ignore_px = np.asarray(boxes, np.float32) * np.array([w, h, w, h], np.float32)
            self._frame_size = frame_size
        inside, cover = _overlap_shares(detections.xyxy, self._ignore_px)
        hit = (inside >= IGNORE_INSIDE_SHARE) & (cover >= IGNORE_COVER_SHARE)
        return keep & ~hit.any(axis=1)

    # -- the reference ----------------------------------------------------------------------
    def newness(self, frame: Frame, t: float, present: Detections, fresh: int) -> BoolArray:
        """(n,) True for objects judged new. ``present[:fresh]`` were detected in this frame
        (they vote); the rest are tracks held after a miss (they keep their verdict)."""
        if not self.enabled:
            return np.ones(len(present), bool)
        ref = self._reference_for(frame)
        ref.observe(frame)
        self._apply_explicit(frame, t)
        ids = present.tracker_id
        verdict = ref.is_new(present.xyxy) if len(present) else np.zeros(0, bool)
        if ids is None:
            return verdict
        seen = set()
        for i, track in enumerate(ids.tolist()):
            seen.add(track)
            votes = self._votes.setdefault(track, _Verdict())
            if i < fresh:
                votes.vote(bool(verdict[i]))
            verdict[i] = votes.is_new
        for gone in set(self._votes) - seen:
            del self._votes[gone]
        return verdict

    def unknown_objects(self, t: float, present: Detections) -> Detections:
        """Lasting changes no detection accounts for, as detections of class ``UNKNOWN``
        (empty unless a zone asks for them with ``unknown_objects``)."""
        if not self.wants_unknown or self.reference is None:
            return Detections.empty(tracked=True)
        boxes = self.reference.lasting_changes(t, present.xyxy)
        n = len(boxes)
        return Detections(boxes, np.ones(n, np.float32), np.full(n, UNKNOWN), np.full(n, -1))

    def learn(self, t: float, new_objects: Detections) -> None:
        """Learn the scene where nothing new stands; save it now and then."""
        if self.reference is None:
            return
        self.reference.learn(t, new_objects.xyxy)
        if self.store is not None and (
            self._saved_at is None or t - self._saved_at >= SAVE_EVERY_SECONDS
        ):
            self.save(t)

    def save(self, t: float | None = None) -> None:
        if self.reference is None or self.store is None or self.reference.background is None:
            return
        arrays = self.reference.arrays()
        arrays["applied"] = np.array(self.applied or "")
        try:
            self.store.save(arrays)
            self._saved_at = t
        except Exception as exc:  # the reference is a help, never a reason to stop analysing
            self._warn_once("save", f"cannot save its scene reference: {exc}")

    def _reference_for(self, frame: Frame) -> SceneReference:
        size = (int(frame.shape[1]), int(frame.shape[0]))
        if self.reference is not None and self.reference.frame_size == size:
            return self.reference
        self.reference = SceneReference(size, self.settings)
        self._votes.clear()
        if self.store is not None:
            self._restore(self.reference)
        return self.reference

    def _restore(self, ref: SceneReference) -> None:
        assert self.store is not None
        try:
            arrays = self.store.load()
        except Exception as exc:
            self._warn_once("load", f"cannot read its saved scene reference ({exc}); learning anew")
            return
        if arrays is None:
            return
        if ref.restore(arrays):
            self.applied = str(arrays.get("applied", "")) or None
            log.info("camera %s: scene reference restored (%s)", self.camera.id, ref.source)
        else:
            log.info("camera %s: saved scene reference does not fit; learning anew", self.camera.id)

    def _apply_explicit(self, frame: Frame, t: float) -> None:
        spec = self.camera.reference
        if spec is None or spec.key == self.applied:
            return
        assert self.reference is not None
        if spec.at is not None:
            if t < spec.at.timestamp():
                return
            self.reference.set_snapshot(frame)
        else:
            if t < self._image_retry_at:
                return
            image = self._load_image(spec.image or "")
            if image is None:
                self._image_retry_at = t + IMAGE_RETRY_SECONDS  # it may be copied there later
                return
            self.reference.set_snapshot(image)
        self.applied = spec.key
        self._votes.clear()  # every object is judged again against the new reference
        log.info("camera %s: scene reference set from %s", self.camera.id, spec.key)
        self.save(t)

    def _load_image(self, name: str) -> Frame | None:
        path = Path(name)
        path = path if path.is_absolute() else self.base_dir / path
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            self._warn_once(
                f"image:{path}",
                f"reference.image {path} cannot be read as an image; using the learned reference",
            )
        return image

    def _warn_once(self, key: str, message: str) -> None:
        if key not in self._failed:
            self._failed.add(key)
            log.error("camera %s: %s", self.camera.id, message)


def _overlap_shares(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, m) intersection / area of ``a`` boxes and intersection / area of ``b`` boxes."""
    inter, area_a, area_b = box_overlaps(a, b)
    return inter / np.maximum(area_a[:, None], 1e-9), inter / np.maximum(area_b[None, :], 1e-9)
