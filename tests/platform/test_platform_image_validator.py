"""One image validator for every upload: the checks themselves, and each endpoint that takes
images refusing the attacker's files (bombs, truncated, polyglots) with 413/415/422 and a reason.

Files come from the project's photo factory (tests/mobile_api/photo_factory.py).
"""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from streetorder.platform.domain.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from streetorder.platform.imaging.validate import ImagePolicy, clean_image, image_end, open_checked
from tests.mobile_api import photo_factory as pf

POLICY = ImagePolicy()

#: (name, bytes, status, words of the reason) - what every image endpoint must refuse
HOSTILE = [
    (
        "bomb-header-100000x100000",
        lambda: pf.png_claiming(100_000, 100_000),
        422,
        "too many pixels",
    ),
    ("zero-filled-20000x20000", lambda: pf.zero_filled_png(20_000, 20_000), 422, "too many pixels"),
    ("truncated-jpeg", pf.truncated_jpeg, 422, "truncated or corrupt"),
    ("truncated-png", lambda: pf.png()[:-30], 422, "truncated or corrupt"),
    ("jpeg-zip-polyglot", pf.jpeg_zip_polyglot, 422, "ZIP archive"),
    ("gif", pf.gif, 415, "GIF files are not accepted"),
    ("text", lambda: b"just a note, not a photo" * 4, 415, "not a recognised image"),
    ("empty", lambda: b"", 422, "empty"),
]
STATUS = {413: PayloadTooLarge, 415: UnsupportedMediaType, 422: InvalidInput}


@pytest.mark.parametrize(("name", "make", "status", "words"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_files_are_refused_with_a_reason(name, make, status, words) -> None:
    with pytest.raises(STATUS[status], match=words):
        open_checked(make(), POLICY)


def test_pixel_limit_is_the_policys_before_pillows_own() -> None:
    data = pf.zero_filled_png(8000, 6000)  # 48 M pixels: below Pillow's 89 M warning
    with pytest.raises(InvalidInput, match="8000x6000 pixels, more than 40,000,000"):
        open_checked(data, POLICY)
    assert open_checked(data, ImagePolicy(max_pixels=50_000_000)).size == (8000, 6000)


def test_byte_cap_and_formats_per_policy() -> None:
    with pytest.raises(PayloadTooLarge, match="larger than"):
        open_checked(pf.oversized_jpeg(300_000), ImagePolicy(max_bytes=200_000))
    with pytest.raises(UnsupportedMediaType, match="WEBP files are not accepted here"):
        open_checked(pf.webp(), POLICY)
    webp = ImagePolicy(formats=frozenset({"JPEG", "WEBP"}))
    assert clean_image(pf.webp(), webp).content_type == "image/jpeg"
    with pytest.raises(UnsupportedMediaType, match="send JPEG or WEBP"):
        open_checked(pf.png(), webp)


def test_image_end_is_found_exactly() -> None:
    for data, fmt in ((pf.jpeg(), "JPEG"), (pf.png(), "PNG"), (pf.webp(), "WEBP")):
        assert image_end(data, fmt) == len(data)
        assert image_end(data + b"tail", fmt) == len(data)


def test_unknown_trailer_passes_for_photos_but_not_for_machine_made_files() -> None:
    data = pf.jpeg_with_trailer()
    clean = clean_image(data, POLICY)  # re-encoded: the trailer is gone
    assert len(clean.data) < len(data) and b"SEFH" not in clean.data
    with pytest.raises(InvalidInput, match="bytes after the end of the image"):
        open_checked(data, ImagePolicy(allow_trailer=False, what="the evidence file"))


def test_orientation_applied_and_metadata_stripped() -> None:
    raw = pf.jpeg(exif=pf.exif_for(gps=(31.225, 121.47), orientation=6))
    clean = clean_image(raw, POLICY)
    stored = Image.open(io.BytesIO(clean.data))
    assert (clean.width, clean.height) == stored.size == (120, 160)
    assert dict(stored.getexif()) == {} and b"PhoneMaker" not in clean.data
    assert clean.sha256 == hashlib.sha256(clean.data).hexdigest()
    assert clean.original_sha256 == hashlib.sha256(raw).hexdigest()
    png = clean_image(pf.png(text="owner=secret"), POLICY)
    assert png.content_type == "image/png" and b"owner=secret" not in png.data


# -- every endpoint that takes images --------------------------------------------------------


@pytest.mark.parametrize(("name", "make", "status", "words"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_case_photo_upload_refuses_hostile_files(platform, name, make, status, words) -> None:
    p = platform
    alert = p.alerts()
    p.deliver(alert)
    case_id = p.case_of(alert.alert_id)["id"]
    r = p.client.post(
        f"/api/v1/cases/{case_id}/photos", headers=p.login("officer"),
        files={"file": ("after.jpg", make(), "image/jpeg")},
    )  # fmt: skip
    assert r.status_code == status, r.text
    assert words in r.json()["detail"]
    files = p.client.get(f"/api/v1/cases/{case_id}/evidence", headers=p.login("reviewer")).json()
    assert [f for f in files if f["kind"] == "rectification"] == []


def test_case_photo_is_stored_upright_without_metadata(platform) -> None:
    p = platform
    alert = p.alerts()
    p.deliver(alert)
    case_id = p.case_of(alert.alert_id)["id"]
    raw = pf.jpeg(exif=pf.exif_for(gps=(31.225, 121.47), orientation=6))
    r = p.client.post(
        f"/api/v1/cases/{case_id}/photos", headers=p.login("officer"),
        files={"file": ("after.jpg", raw, "image/jpeg")},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    got = p.client.get(f"/api/v1/evidence/{r.json()['id']}", headers=p.login("reviewer"))
    stored = Image.open(io.BytesIO(got.content))
    assert stored.size == (120, 160) and dict(stored.getexif()) == {}
    assert got.headers["X-Content-Sha256"] == hashlib.sha256(got.content).hexdigest()
    big = pf.oversized_jpeg(11 * 1024 * 1024)
    r = p.client.post(
        f"/api/v1/cases/{case_id}/photos", headers=p.login("officer"),
        files={"file": ("big.jpg", big, "image/jpeg")},
    )  # fmt: skip
    assert r.status_code == 413 and "larger than 10 MB" in r.json()["detail"]
    huge = pf.jpeg() + b"\0" * (30 * 1024 * 1024)  # refused from its Content-Length
    r = p.client.post(
        f"/api/v1/cases/{case_id}/photos", headers=p.login("officer"),
        files={"file": ("huge.jpg", huge, "image/jpeg")},
    )  # fmt: skip
    assert r.status_code == 413 and "MB (Content-Length)" in r.json()["detail"]
