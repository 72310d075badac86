"""Photo intake: decode to prove it, strip metadata, keep capture time and GPS, refuse the rest."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime

import pytest
from PIL import Image

from streetorder.mobile_api.errors import UnsupportedMediaType
from streetorder.mobile_api.photos import process_photo, read_limited
from streetorder.platform.domain.errors import InvalidInput, PayloadTooLarge
from tests.mobile_api import photo_factory as pf


def reopen(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_jpeg_keeps_time_and_gps_as_fields_and_nothing_else() -> None:
    raw = pf.jpeg(exif=pf.exif_for(gps=(31.225, 121.47), orientation=6))
    photo = process_photo(raw)
    assert photo.captured_at == datetime(2026, 11, 21, 6, 5, 9, tzinfo=UTC)
    assert photo.latitude == pytest.approx(31.225, abs=1e-5)
    assert photo.longitude == pytest.approx(121.47, abs=1e-5)
    assert (photo.width, photo.height) == (120, 160)  # orientation 6 applied to the pixels
    stored = reopen(photo.data)
    assert stored.format == "JPEG" and dict(stored.getexif()) == {}
    assert b"PhoneMaker" not in photo.data and b"secret-app" not in photo.data
    assert photo.sha256 == hashlib.sha256(photo.data).hexdigest()
    assert photo.original_sha256 == hashlib.sha256(raw).hexdigest()


def test_capture_time_without_offset_is_city_time_and_southern_west_gps() -> None:
    raw = pf.jpeg(exif=pf.exif_for(offset=None, gps=(-33.5, -70.25)))
    photo = process_photo(raw)
    assert photo.captured_at == datetime(2026, 11, 21, 6, 5, 9, tzinfo=UTC)
    assert (photo.latitude, photo.longitude) == (pytest.approx(-33.5), pytest.approx(-70.25))


def test_photo_without_exif_has_no_time_or_place() -> None:
    photo = process_photo(pf.jpeg())
    assert photo.captured_at is None and photo.latitude is None and photo.longitude is None


def test_png_stays_png_without_text_chunks() -> None:
    photo = process_photo(pf.png(text="owner=secret"))
    assert photo.content_type == "image/png"
    assert b"owner=secret" not in photo.data
    assert reopen(photo.data).info.get("Comment") is None


def test_heic_is_decoded_and_stored_as_jpeg() -> None:
    photo = process_photo(pf.heic(exif=pf.exif_for()))
    assert photo.original_format == "HEIF" and photo.content_type == "image/jpeg"
    assert reopen(photo.data).format == "JPEG"
    assert photo.captured_at == datetime(2026, 11, 21, 6, 5, 9, tzinfo=UTC)
    assert photo.latitude == pytest.approx(31.225, abs=1e-5)


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (b"", InvalidInput, "empty"),
        (b"%PDF-1.7 not a photo at all" * 10, UnsupportedMediaType, "not a recognised image"),
        (pf.gif(), UnsupportedMediaType, "GIF files are not accepted"),
        (pf.truncated_jpeg(), InvalidInput, "truncated or corrupt"),
        (pf.png()[:-30], InvalidInput, "truncated or corrupt"),
    ],
    ids=["empty", "text", "gif", "truncated-jpeg", "truncated-png"],
)
def test_bad_files_are_refused_with_a_reason(data: bytes, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        process_photo(data)


def test_too_big_and_too_many_pixels() -> None:
    big = pf.oversized_jpeg(300_000)
    with pytest.raises(PayloadTooLarge, match="larger than"):
        process_photo(big, max_bytes=200_000)
    with pytest.raises(PayloadTooLarge):
        read_limited(io.BytesIO(big), 200_000)
    assert read_limited(io.BytesIO(big), len(big)) == big
    with pytest.raises(InvalidInput, match="pixels"):
        process_photo(pf.jpeg(size=(400, 300)), max_pixels=100_000)


def test_heic_can_be_switched_off() -> None:
    with pytest.raises(UnsupportedMediaType, match="HEIC"):
        process_photo(pf.heic(), allow_heic=False)
