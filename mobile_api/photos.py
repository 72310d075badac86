"""Photo intake: prove an upload is an image, strip it, keep capture time and GPS as fields.

:func:`process_photo` is pure (bytes in, :class:`ProcessedPhoto` out); nothing is stored until
it has passed. The bytes then go to the platform's evidence store (atomic: temporary file,
fsync, rename) under a content-addressed key, and the row is written in the same transaction.

Accepted: JPEG and PNG; HEIC/HEIF when ``pillow-heif`` is installed (stored as JPEG). Stored
files carry no metadata at all (no EXIF, no ICC, no text chunks); EXIF orientation is applied
to the pixels first so the photo still looks the right way up.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from PIL import Image, ImageOps, UnidentifiedImageError

from streetorder.mobile_api.errors import UnsupportedMediaType
from streetorder.platform.domain.errors import InvalidInput, PayloadTooLarge

try:  # HEIC from phones; optional
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_AVAILABLE = True
except ImportError:  # pragma: no cover - depends on the environment
    HEIF_AVAILABLE = False

EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL, DATETIME = 0x9003, 0x9011, 0x0132
HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif")
STORED_AS = {"JPEG": ("JPEG", "image/jpeg", "jpg"), "PNG": ("PNG", "image/png", "png")}


@dataclass(frozen=True)
class ProcessedPhoto:
    data: bytes  # the stored bytes (re-encoded, no metadata)
    content_type: str
    extension: str
    width: int
    height: int
    sha256: str  # of ``data``
    original_sha256: str  # of the upload as received
    original_format: str  # JPEG | PNG | HEIF
    original_size: int
    captured_at: datetime | None
    latitude: float | None
    longitude: float | None


def read_limited(stream: BinaryIO, max_bytes: int, chunk: int = 1 << 16) -> bytes:
    """Read at most ``max_bytes`` from an upload stream; refuse more without reading it all."""
    parts: list[bytes] = []
    total = 0
    while True:
        block = stream.read(chunk)
        if not block:
            return b"".join(parts)
        total += len(block)
        if total > max_bytes:
            raise PayloadTooLarge(
                f"the photo is larger than {max_bytes / 1024 / 1024:g} MB; send a smaller one"
            )
        parts.append(block)


def _is_heif(data: bytes) -> bool:
    return data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS


def _sniff(data: bytes) -> str | None:
    """The format by its magic bytes, before any decoder sees untrusted input."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    return "HEIF" if _is_heif(data) else None


OTHER_IMAGE_MAGIC = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)


def _other_image_format(data: bytes) -> str | None:
    """Name an image format we refuse, so the error can say which it was."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return next((name for magic, name in OTHER_IMAGE_MAGIC if data.startswith(magic)), None)


def _decode(data: bytes, max_pixels: int, allow_heic: bool) -> Image.Image:
    """Open and fully decode, so truncated or corrupt files are caught here."""
    if not data:
        raise InvalidInput("the photo is empty")
    sniffed = _sniff(data)
    if sniffed is None:
        other = _other_image_format(data)
        raise UnsupportedMediaType(
            f"{other} files are not accepted; send a JPEG or PNG photo"
            if other
            else "the file is not a recognised image; send a JPEG or PNG photo"
        )
    if sniffed == "HEIF" and not (HEIF_AVAILABLE and allow_heic):
        raise UnsupportedMediaType("HEIC/HEIF photos are not accepted here; send JPEG or PNG")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            fmt = probe.format
            if fmt not in ("JPEG", "PNG", "HEIF"):
                raise UnsupportedMediaType(
                    f"{fmt or 'this'} files are not accepted; send a JPEG or PNG photo"
                )
            if probe.width * probe.height > max_pixels:
                raise InvalidInput(
                    f"the photo has {probe.width}x{probe.height} pixels, more than "
                    f"{max_pixels:,} allowed"
                )
            if fmt == "PNG":
                probe.verify()  # checks chunk CRCs; the image must be reopened after
                probe = Image.open(io.BytesIO(data))
            probe.load()
            return probe
    except (UnsupportedMediaType, InvalidInput):
        raise
    except UnidentifiedImageError:
        raise UnsupportedMediaType(
            "the file is not a recognised image; send a JPEG or PNG photo"
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput("the photo has too many pixels") from None
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError, struct.error...
        raise InvalidInput(f"the photo cannot be decoded (truncated or corrupt): {exc}") from None


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
        InvalidInput: empty, truncated, corrupt or too many pixels (422).
    """
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"the photo is larger than {max_bytes / 1024 / 1024:g} MB")
    image = _decode(data, max_pixels, allow_heic)
    original_format = image.format or "?"
    exif = image.getexif()
    captured_at = _captured_at(exif, tz or ZoneInfo("Asia/Shanghai"))
    latitude, longitude = _gps(exif)
    upright = ImageOps.exif_transpose(image)  # orientation into the pixels, tag dropped
    fmt, content_type, extension = STORED_AS["PNG" if original_format == "PNG" else "JPEG"]
    out = io.BytesIO()
    if fmt == "JPEG":
        if upright.mode not in ("RGB", "L"):
            upright = upright.convert("RGB")
        upright.save(out, format="JPEG", quality=jpeg_quality, optimize=True)
    else:
        upright.save(out, format="PNG", optimize=True)  # no pnginfo: text chunks dropped
    stored = out.getvalue()
    return ProcessedPhoto(
        data=stored,
        content_type=content_type,
        extension=extension,
        width=upright.width,
        height=upright.height,
        sha256=hashlib.sha256(stored).hexdigest(),
        original_sha256=hashlib.sha256(data).hexdigest(),
        original_format=original_format,
        original_size=len(data),
        captured_at=captured_at,
        latitude=latitude,
        longitude=longitude,
    )
