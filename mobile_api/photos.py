"""Photo intake: prove an upload is an image, strip it, keep capture time and GPS as fields.

:func:`process_photo` is pure (bytes in, :class:`ProcessedPhoto` out); nothing is stored until
it has passed. The checks are the platform's one image validator
(``streetorder.platform.imaging.validate``: size, type, pixel count from the header, full
decode, no file riding after the image); this module adds what the officer app keeps from
EXIF (capture time, GPS) before the re-encoded copy drops all metadata. The bytes then go to
the platform's evidence store under a content-addressed key, the row in the same transaction.

Accepted: JPEG and PNG; HEIC/HEIF when ``pillow-heif`` is installed (stored as JPEG). EXIF
orientation is applied to the pixels first so the photo still looks the right way up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image

from streetorder.platform.imaging.validate import (
    HEIF_AVAILABLE,
    CleanImage,
    ImagePolicy,
    clean_image,
    open_checked,
    read_limited,
)

__all__ = ["HEIF_AVAILABLE", "ProcessedPhoto", "process_photo", "read_limited"]

EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL, DATETIME = 0x9003, 0x9011, 0x0132


@dataclass(frozen=True)
class ProcessedPhoto:
    image: CleanImage  # the stored bytes (re-encoded, no metadata) and their description
    captured_at: datetime | None
    latitude: float | None
    longitude: float | None

    data = property(lambda self: self.image.data)
    content_type = property(lambda self: self.image.content_type)
    extension = property(lambda self: self.image.extension)
    width = property(lambda self: self.image.width)
    height = property(lambda self: self.image.height)
    sha256 = property(lambda self: self.image.sha256)  # of ``data``
    original_sha256 = property(lambda self: self.image.original_sha256)
    original_format = property(lambda self: self.image.original_format)
    original_size = property(lambda self: self.image.original_size)


def policy(*, max_bytes: int, max_pixels: int, allow_heic: bool) -> ImagePolicy:
    formats = {"JPEG", "PNG"} | ({"HEIF"} if allow_heic else set())
    return ImagePolicy(formats=frozenset(formats), max_bytes=max_bytes, max_pixels=max_pixels)


def _ratio(value: Any) -> float:
    return float(value[0]) / float(value[1]) if isinstance(value, tuple) else float(value)


def _gps(exif: Image.Exif) -> tuple[float | None, float | None]:
    try:
        gps = exif.get_ifd(GPS_IFD)
        lat_ref, lat, lon_ref, lon = gps.get(1), gps.get(2), gps.get(3), gps.get(4)
        if not (lat and lon and lat_ref and lon_ref):
            return None, None
        latitude = sum(_ratio(v) / 60**i for i, v in enumerate(lat))
        longitude = sum(_ratio(v) / 60**i for i, v in enumerate(lon))
        if str(lat_ref).upper().startswith("S"):
            latitude = -latitude
        if str(lon_ref).upper().startswith("W"):
            longitude = -longitude
    except (TypeError, ValueError, ZeroDivisionError, KeyError):
        return None, None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None, None
    return round(latitude, 7), round(longitude, 7)


def _captured_at(exif: Image.Exif, tz: ZoneInfo) -> datetime | None:
    """EXIF DateTimeOriginal (with its offset if given, else the city's time zone) in UTC."""
    sub = exif.get_ifd(EXIF_IFD)
    raw = sub.get(DATETIME_ORIGINAL) or exif.get(DATETIME)
    if not isinstance(raw, str):
        return None
    try:
        moment = datetime.strptime(raw.strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = sub.get(OFFSET_TIME_ORIGINAL)
    if isinstance(offset, str):
        try:
            stamp = f"{raw.strip()} {offset.strip()}"
            return datetime.strptime(stamp, "%Y:%m:%d %H:%M:%S %z").astimezone(UTC)
        except ValueError:
            pass
    return moment.replace(tzinfo=tz).astimezone(UTC)


def process_photo(
    data: bytes,
    *,
    max_bytes: int = 10 * 1024 * 1024,
    max_pixels: int = 60_000_000,
    jpeg_quality: int = 90,
    tz: ZoneInfo | None = None,
    allow_heic: bool = True,
) -> ProcessedPhoto:
    """Check, decode and re-encode one upload.

    Raises:
        PayloadTooLarge: more than ``max_bytes`` (413).
        UnsupportedMediaType: not JPEG, PNG or (with pillow-heif) HEIC (415).
        InvalidInput: empty, truncated, corrupt, too many pixels, or a file riding along (422).
    """
    rules = policy(max_bytes=max_bytes, max_pixels=max_pixels, allow_heic=allow_heic)
    image = open_checked(data, rules)
    exif = image.getexif()
    captured_at = _captured_at(exif, tz or ZoneInfo("Asia/Shanghai"))
    latitude, longitude = _gps(exif)
    clean = clean_image(data, rules, jpeg_quality=jpeg_quality, image=image)
    return ProcessedPhoto(
        image=clean, captured_at=captured_at, latitude=latitude, longitude=longitude
    )
