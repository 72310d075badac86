"""The Open311 intake's settings (the ``open311:`` section of the platform file)."""

from __future__ import annotations

from pydantic import Field, model_validator

from streetorder.contracts.camera import Strict


class CityBounds(Strict):
    """Reports outside this box are refused (WGS-84 degrees); the default is Shanghai."""

    min_lat: float = Field(30.67, ge=-90, le=90)
    max_lat: float = Field(31.88, ge=-90, le=90)
    min_long: float = Field(120.85, ge=-180, le=180)
    max_long: float = Field(122.20, ge=-180, le=180)

    @model_validator(mode="after")
    def _ordered(self) -> CityBounds:
        if self.min_lat >= self.max_lat or self.min_long >= self.max_long:
            raise ValueError("need min_lat < max_lat and min_long < max_long")
        return self

    def contains(self, lat: float, long: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and self.min_long <= long <= self.max_long


class AnonymousLimit(Strict):
    """Posts without an api_key, per client IP, counted in the database (shared by every
    replica, see ``open311/ratelimit.py``)."""

    posts: int = Field(5, ge=1, le=10000, description="Posts allowed per window and client IP.")
    window_seconds: int = Field(3600, ge=1, le=7 * 86400)


class Open311Settings(Strict):
    enabled: bool = Field(True, description="Serve /open311/v2 (GeoReport v2).")
    jurisdiction_id: str = Field("shanghai", min_length=1, max_length=64)
    city_bounds: CityBounds = CityBounds()
    match_radius_m: float = Field(
        30.0, gt=0, le=1000, description="A report matches the nearest shop within this distance."
    )
    link_window_hours: float = Field(
        72.0, ge=0, le=24 * 90,
        description="A report about a shop with an open case discovered this recently joins it.",
    )  # fmt: skip
    anonymous: AnonymousLimit = AnonymousLimit()
    max_photos: int = Field(3, ge=0, le=10)
    photo_max_mb: float = Field(8.0, gt=0, le=50)
    photo_max_pixels: int = Field(40_000_000, ge=10_000, le=200_000_000)
    max_results: int = Field(1000, ge=1, le=10000, description="GET requests answers at most.")
