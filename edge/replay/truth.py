"""Ground truth of a generated scenario video (``<name>.truth.json``, see INTERFACES.md)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from streetorder.config.loader import format_location
from streetorder.errors import StreetorderError


class TruthEpisode(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    camera_id: str
    zone_id: str
    shop_id: str = ""
    start_seconds: float
    end_seconds: float
    threshold_seconds: float
    classes: tuple[str, ...] = ()


class Truth(BaseModel):
    """What the scenario contains; ``frames`` (per-object boxes) is not needed here."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    version: int = 1
    scenario: str
    video: str = ""
    config: str = ""
    fps: float = Field(0.0, ge=0)
    duration_seconds: float = Field(0.0, ge=0)
    started_at: AwareDatetime
    episodes: tuple[TruthEpisode, ...] = ()


def load_truth(path: str | Path) -> Truth:
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StreetorderError(f"{path}: truth file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StreetorderError(f"{path}: cannot read truth: {exc}") from None
    if isinstance(raw, dict):
        raw.pop("frames", None)  # large and unused: skip validating it
    try:
        return Truth.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise StreetorderError(f"{path}: {format_location(first['loc'])}: {first['msg']}") from None
