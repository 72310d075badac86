"""Uploads are classified by their magic bytes before any decoder sees them.

Another library in the process may patch ``PIL.Image.open`` (Ultralytics does, trying to
import a HEIF plugin when Pillow cannot identify a file); a refusal must not depend on that.
"""

from __future__ import annotations

import pytest
from PIL import Image, UnidentifiedImageError

from streetorder.mobile_api.errors import UnsupportedMediaType
from streetorder.mobile_api.photos import policy
from streetorder.platform.imaging.validate import open_checked


@pytest.fixture
def patched_image_open(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Image.open

    def open_like_ultralytics(fp, *args, **kwargs):
        try:
            return original(fp, *args, **kwargs)
        except UnidentifiedImageError:
            raise ModuleNotFoundError("No module named 'pi_heif'", name="pi_heif") from None

    monkeypatch.setattr(Image, "open", open_like_ultralytics)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"just a note, not a photo", "not a recognised image"),
        (b"GIF89a" + b"\x00" * 32, "GIF files are not accepted"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 16, "WEBP files are not accepted"),
        (b"BM" + b"\x00" * 40, "BMP files are not accepted"),
    ],
)
def test_refusal_does_not_depend_on_image_open(patched_image_open, data, message) -> None:
    with pytest.raises(UnsupportedMediaType, match=message):
        open_checked(data, policy(max_bytes=10**6, max_pixels=10**8, allow_heic=True))
