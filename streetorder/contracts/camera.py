"""Camera, zone and rule settings: the part of an edge node's config the platform can push."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from streetorder.contracts.polygon import simplicity_problem
from streetorder.vocabulary import CLASS_NAMES, DEFAULT_VIOLATION_CLASSES

_SCHEDULE_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class Strict(BaseModel):
    """Base for all contract models: unknown keys are errors, so typos fail loudly."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ZoneRules(Strict):
    """How a zone decides that placed objects are a violation episode."""

    classes: tuple[str, ...] = Field(
        DEFAULT_VIOLATION_CLASSES, description="Detector classes that count as placed goods."
    )
    dwell_seconds: float = Field(300.0, gt=0, le=86400, description="Stay before an episode.")
    clear_seconds: float = Field(
        60.0, gt=0, le=86400, description="Zone empty this long ends the episode (re-arms)."
    )
    reminder_seconds: float | None = Field(
        None, gt=0, description="Re-alert an ongoing episode after this long; None: never."
    )
    grace_seconds: float = Field(
        20.0, ge=0, le=3600, description="Occlusion/flicker gap tolerated without a restart."
    )
    min_score: float = Field(0.35, ge=0, le=1, description="Detections below are ignored.")
    min_inside_share: float = Field(
        0.5, ge=0, le=1, description="Share of the box area that must lie inside the zone."
    )
    anchor: Literal["bottom_center", "center"] = Field(
        "bottom_center", description="Point of the box that must lie inside the polygon."
    )
    schedule: tuple[str, ...] = Field(
        (), description='Alarm windows "HH:MM-HH:MM" in local time; empty: always armed.'
    )
    unknown_objects: bool = Field(
        False,
        description="Also count a lasting change of the scene that no detection explains "
        "(sent as class unknown_object, for review).",
    )
    only_new_objects: bool = Field(
        True,
        description="Count a detection only where it differs from the camera's scene reference "
        "(a fixed object the detector mislabels never opens an episode).",
    )

    @field_validator("classes")
    @classmethod
    def _known_classes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [c for c in value if c not in CLASS_NAMES]
        if unknown:
            raise ValueError(f"unknown class {unknown[0]!r}; known: {', '.join(CLASS_NAMES)}")
        if not value:
            raise ValueError("at least one class is required")
        return value

    @field_validator("schedule")
    @classmethod
    def _valid_windows(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for window in value:
            if not _SCHEDULE_RE.match(window):
                raise ValueError(f"schedule window {window!r} is not HH:MM-HH:MM")
        return value


class ZoneConfig(Strict):
    """A shop's frontage zone on one camera: a polygon in relative (0-1) image coordinates."""

    id: Identifier
    shop_id: Identifier
    name: str = ""
    polygon: tuple[tuple[float, float], ...] = Field(
        description="Vertices (x, y), each in 0..1 of the frame width/height."
    )
    rules: ZoneRules = ZoneRules()

    @field_validator("polygon")
    @classmethod
    def _valid_polygon(cls, value: tuple[tuple[float, float], ...]):
        if len(value) < 3:
            raise ValueError("a polygon needs at least 3 points")
        for x, y in value:
            if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
                raise ValueError(f"point ({x}, {y}) is outside 0..1 (coordinates are relative)")
        problem = simplicity_problem(value)
        if problem is not None:
            raise ValueError(f"not a simple polygon: {problem}")
        return value


class CameraLocation(Strict):
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    address: str = ""


class SceneReferenceSpec(Strict):
    """An explicit scene reference: the frontage as it looks when clear (see docs/EDGE_NODE.md).

    Exactly one of ``image`` (a file on the node, relative to its config) or ``at`` (the node
    takes the first frame it analyses at or after this moment, e.g. after closing time).
    """

    image: str | None = Field(None, min_length=1, max_length=1024)
    at: datetime | None = None

    @model_validator(mode="after")
    def _one_source(self) -> SceneReferenceSpec:
        if (self.image is None) == (self.at is None):
            raise ValueError("give exactly one of image or at")
        if self.at is not None and self.at.tzinfo is None:
            raise ValueError("at needs a time zone, e.g. 2026-12-06T22:30:00+08:00")
        return self

    @property
    def key(self) -> str:
        """Identifies this request: a new one is applied once, a repeated one never again."""
        return f"image:{self.image}" if self.image is not None else f"at:{self.at.isoformat()}"


class IgnoreRegion(Strict):
    """A region where detections are dropped: a fixed structure a reviewer rejected (固定设施)."""

    id: Identifier
    box: tuple[float, float, float, float] = Field(
        description="x1, y1, x2, y2 in 0..1 of the frame width/height."
    )
    reason: str = Field("fixed_structure", max_length=200)
    alert_id: str | None = Field(None, max_length=64, description="The rejected alert.")

    @field_validator("box")
    @classmethod
    def _valid_box(cls, value: tuple[float, float, float, float]):
        x1, y1, x2, y2 = value
        if not all(0.0 <= v <= 1.0 for v in value):
            raise ValueError("box coordinates must lie in 0..1 (they are relative)")
        if x2 <= x1 or y2 <= y1:
            raise ValueError("box needs x2 > x1 and y2 > y1")
        return value


class CameraConfig(Strict):
    """One camera stream and the zones watched on it."""

    id: Identifier
    source: str = Field(
        min_length=1, description="rtsp://, http(s)://, a file path or /dev/video*."
    )
    analysis_interval_seconds: float = Field(
        1.0, gt=0, le=60, description="Analyse one frame this often."
    )
    keyframes_only: bool = Field(False, description="Decode only key frames (cheapest for H.264).")
    location: CameraLocation = CameraLocation()
    zones: tuple[ZoneConfig, ...] = ()
    enabled: bool = True
    reference: SceneReferenceSpec | None = Field(
        None, description="Explicit scene reference; None: learned from the stream only."
    )
    ignore: tuple[IgnoreRegion, ...] = Field(
        (), description="Regions whose detections are dropped (reviewers' fixed structures)."
    )

    @model_validator(mode="after")
    def _unique_zone_ids(self) -> CameraConfig:
        ids = [z.id for z in self.zones]
        duplicated = {i for i in ids if ids.count(i) > 1}
        if duplicated:
            raise ValueError(f"zone id {sorted(duplicated)[0]!r} is used twice")
        return self


def check_unique_camera_ids(cameras: tuple[CameraConfig, ...]) -> tuple[CameraConfig, ...]:
    ids = [c.id for c in cameras]
    duplicated = {i for i in ids if ids.count(i) > 1}
    if duplicated:
        raise ValueError(f"camera id {sorted(duplicated)[0]!r} is used twice")
    return cameras
