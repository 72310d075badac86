"""The officer app's settings: colour rules, schedule, checklist, photos and tokens.

Every field has a default. They are read from the ``mobile:`` section of the server's settings
file (:mod:`streetorder.server.settings`).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from streetorder.mobile_api.domain.risk import ColourRules
from streetorder.mobile_api.domain.schedule import ScheduleRules


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChecklistItem(_Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,47}$")
    label: str = Field(min_length=1, max_length=100)
    violation: bool = Field(False, description="Failing it is a violation (moves the colour).")


DEFAULT_CHECKLIST: tuple[ChecklistItem, ...] = (
    ChecklistItem(key="out_of_shop_trading", label="跨门营业/出店经营", violation=True),
    ChecklistItem(key="pavement_occupied", label="占道堆物", violation=True),
    ChecklistItem(key="frontage_clean", label="门责区域整洁(门前三包)"),
    ChecklistItem(key="signboard_safe", label="店招店牌安全"),
    ChecklistItem(key="waste_sorted", label="垃圾分类规范"),
)


class PhotoSettings(_Strict):
    dir: Path = Field(Path("var/mobile_photos"), description="Where accepted photos are stored.")
    max_bytes: int = Field(10 * 1024 * 1024, ge=1024, le=100 * 1024 * 1024)
    max_pixels: int = Field(60_000_000, ge=10_000, description="Refuse decompression bombs.")
    allow_heic: bool = Field(True, description="Accept HEIC/HEIF (stored as JPEG).")
    jpeg_quality: int = Field(90, ge=50, le=100)


class TokenSettings(_Strict):
    access_minutes: int = Field(15, ge=1, le=24 * 60, description="Short-lived access token.")
    refresh_days: int = Field(30, ge=1, le=365)


class MobileSettings(_Strict):
    colours: ColourRules = ColourRules()
    schedule: ScheduleRules = ScheduleRules()
    checklist: tuple[ChecklistItem, ...] = DEFAULT_CHECKLIST
    photos: PhotoSettings = PhotoSettings()
    tokens: TokenSettings = TokenSettings()
    page_size_max: int = Field(200, ge=1, le=1000)

    @model_validator(mode="after")
    def _checklist_ok(self) -> MobileSettings:
        keys = [item.key for item in self.checklist]
        if len(set(keys)) != len(keys):
            raise ValueError("checklist keys must be unique")
        if not any(item.violation for item in self.checklist):
            raise ValueError("the checklist needs at least one violation item")
        return self
