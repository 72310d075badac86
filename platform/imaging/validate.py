"""The one image validator of every upload: case photos, the officer app's photos, edge evidence.

Order of checks, cheapest first, so no untrusted byte reaches a decoder before it must:
byte size (413) → magic bytes against the allowed formats (415) → the header's pixel count
before any pixel is decoded (422, decompression bombs) → a full decode (422: truncated or
corrupt) → what follows the image's end (422 when another file rides along: JPEG+ZIP polyglots).
:func:`clean_image` then applies the EXIF orientation and re-encodes without any metadata
(no EXIF, GPS, ICC or text chunks), so what is stored or shown is only pixels.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

from streetorder.i18n import CATALOGUE, Msg, Reason, text
from streetorder.platform.domain.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType

try:  # HEIC from phones; optional
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_AVAILABLE = True
except ImportError:  # pragma: no cover - depends on the environment
    HEIF_AVAILABLE = False

HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif")
OTHER_IMAGE_MAGIC = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)
#: Another file after the image's end: archives, executables, documents, scripts.
RIDER_MAGIC = (
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"Rar!", "rar"),
    (b"7z\xbc\xaf", "7z"),
    (b"\x1f\x8b", "gzip"),
    (b"MZ", "windows_program"),
    (b"\x7fELF", "program"),
    (b"%PDF", "pdf"),
    (b"<?php", "script"),
    (b"<script", "script"),
    (b"<html", "web_page"),
)  # the kind of rider: ``rider.<kind>`` in the message catalogue
#: PNG stays PNG (lossless drawings, screenshots); everything else is stored as JPEG.
STORED_AS = {"PNG": ("PNG", "image/png", "png")}
JPEG_OUT = ("JPEG", "image/jpeg", "jpg")


@dataclass(frozen=True)
class ImagePolicy:
    """What one endpoint accepts."""

    formats: frozenset[str] = frozenset({"JPEG", "PNG"})  # of JPEG, PNG, WEBP, HEIF
    max_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 40_000_000
    #: False: any byte after the image's end is refused (files the edge made); True: unknown
    #: trailers pass (some phones append their own), recognised files never do.
    allow_trailer: bool = True
    what: str = "photo"  # how messages name the upload: ``upload.what_<what>`` in the catalogue

    def accepted(self) -> Msg:
        """``JPEG or PNG`` / ``JPEG或PNG``."""
        names = sorted(f if f != "HEIF" else "HEIC" for f in self.formats)
        zh = "、".join(names[:-1]) + text("upload.or") + names[-1] if len(names) > 1 else names[0]
        return Msg(zh, f" {text('upload.or', 'en')} ".join(names))

    def named(self) -> Msg:
        """The upload's name in a message (a ``what`` the catalogue does not know: as it is)."""
        key = f"upload.what_{self.what}"
        if key not in CATALOGUE:
            return Msg(self.what, self.what)
        return Msg(text(key), text(key, "en"))


@dataclass(frozen=True)
class CleanImage:
    """An upload re-encoded: only pixels, the right way up."""

    data: bytes
    content_type: str
    extension: str
    width: int
    height: int
    sha256: str  # of ``data``
    original_format: str  # JPEG | PNG | WEBP | HEIF
    original_sha256: str
    original_size: int


def read_limited(
    stream: BinaryIO, max_bytes: int, chunk: int = 1 << 16, what: str = "photo"
) -> bytes:
    """Read at most ``max_bytes`` from an upload stream; refuse more without reading it all."""
    parts: list[bytes] = []
    total = 0
    while True:
        block = stream.read(chunk)
        if not block:
            return b"".join(parts)
        total += len(block)
        if total > max_bytes:
            raise PayloadTooLarge(_too_large(what, max_bytes))
        parts.append(block)


def _too_large(what: str, max_bytes: int) -> Reason:
    return Reason(
        "upload.too_large", what=ImagePolicy(what=what).named(), mb=f"{max_bytes / 1024 / 1024:g}"
    )


def sniff(data: bytes) -> str | None:
    """The format by its magic bytes, before any decoder sees untrusted input."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return "HEIF"
    return next((name for magic, name in OTHER_IMAGE_MAGIC if data.startswith(magic)), None)


def open_checked(data: bytes, policy: ImagePolicy) -> Image.Image:
    """Every check but re-encoding; returns the fully decoded image (EXIF still attached).

    Raises:
        PayloadTooLarge: more than ``policy.max_bytes`` (413).
        UnsupportedMediaType: not one of ``policy.formats`` (415).
        InvalidInput: empty, too many pixels, truncated, corrupt, or another file attached (422).
    """
    what = policy.named()
    if len(data) > policy.max_bytes:
        raise PayloadTooLarge(_too_large(policy.what, policy.max_bytes))
    if not data:
        raise InvalidInput(Reason("upload.empty", what=what))
    fmt = sniff(data)
    if fmt is None or fmt not in policy.formats or (fmt == "HEIF" and not HEIF_AVAILABLE):
        if fmt is None:
            raise UnsupportedMediaType(Reason("upload.not_an_image", accepted=policy.accepted()))
        if fmt == "HEIF":
            raise UnsupportedMediaType(Reason("upload.heif_refused", accepted=policy.accepted()))
        raise UnsupportedMediaType(
            Reason("upload.format_refused", fmt=fmt, accepted=policy.accepted())
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))  # reads the header only
            if _format_of(image) != fmt:
                raise InvalidInput(Reason("upload.not_what_it_claims", what=what, fmt=fmt))
            _check_pixels(image.width, image.height, policy)
            if fmt == "PNG":
                image.verify()  # chunk CRCs; the image must be reopened after
                image = Image.open(io.BytesIO(data))
            image.load()
    except (UnsupportedMediaType, InvalidInput):
        raise
    except UnidentifiedImageError:
        raise UnsupportedMediaType(
            Reason("upload.not_an_image", accepted=policy.accepted())
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput(
            Reason("upload.bomb", what=what, most=f"{policy.max_pixels:,}")
        ) from None
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError, struct.error...
        raise InvalidInput(Reason("upload.corrupt", what=what, error=str(exc))) from None
    _check_trailer(data, fmt, policy)
    return image


def _format_of(image: Image.Image) -> str | None:
    """Pillow calls a phone's multi-picture JPEG "MPO"; its first picture is a JPEG."""
    return "JPEG" if image.format == "MPO" else image.format


def _check_pixels(width: int, height: int, policy: ImagePolicy) -> None:
    if width < 1 or height < 1:
        raise InvalidInput(
            Reason("upload.no_pixels", what=policy.named(), size=f"{width}x{height}")
        )
    if width * height > policy.max_pixels:
        raise InvalidInput(
            Reason(
                "upload.too_many_pixels",
                what=policy.named(),
                size=f"{width}x{height}",
                most=f"{policy.max_pixels:,}",
            )  # fmt: skip
        )


def _check_trailer(data: bytes, fmt: str, policy: ImagePolicy) -> None:
    end = image_end(data, fmt)
    if end is None:
        return
    trailer = data[end:]
    if not trailer.strip(b"\x00"):
        return
    rider = next((name for magic, name in RIDER_MAGIC if magic in trailer[:4096]), None)
    if rider is None and b"PK\x05\x06" in trailer[-65_600:]:
        rider = "zip"
    if rider:
        kind = Msg(text(f"rider.{rider}"), text(f"rider.{rider}", "en"))
        raise InvalidInput(Reason("upload.rider", what=policy.named(), rider=kind))
    if not policy.allow_trailer:
        raise InvalidInput(Reason("upload.trailer", what=policy.named(), count=len(trailer)))


def image_end(data: bytes, fmt: str) -> int | None:
    """Where the image ends inside ``data`` (None: not known for this format or malformed)."""
    if fmt == "JPEG":
        return _jpeg_end(data)
    if fmt == "PNG":
        return _png_end(data)
    if fmt == "WEBP":
        return 8 + int.from_bytes(data[4:8], "little")
    return None


def _jpeg_end(data: bytes) -> int | None:
    """After the EOI marker: segments are skipped by their length, scan data byte-stuffed."""
    pos, n = 2, len(data)
    while pos + 1 < n:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:
            return pos + 2
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        if pos + 4 > n:
            return None
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker == 0xDA:  # entropy-coded data up to the next real marker
            while True:
                pos = data.find(b"\xff", pos)
                if pos < 0 or pos + 1 >= n:
                    return None
                following = data[pos + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    pos += 2
                elif following == 0xFF:
                    pos += 1
                else:
                    break
    return None


def _png_end(data: bytes) -> int | None:
    pos, n = 8, len(data)
    while pos + 8 <= n:
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        pos += 12 + length
        if kind == b"IEND":
            return pos
    return None


def encode_clean(
    image: Image.Image, *, png: bool, jpeg_quality: int = 90
) -> tuple[bytes, str, str, tuple[int, int]]:
    """Pixels only, the right way up: (bytes, content type, extension, (width, height))."""
    upright = ImageOps.exif_transpose(image)  # orientation into the pixels, tag dropped
    fmt, content_type, extension = STORED_AS["PNG"] if png else JPEG_OUT
    out = io.BytesIO()
    if fmt == "JPEG":
        if upright.mode not in ("RGB", "L"):
            upright = upright.convert("RGB")
        upright.save(out, format="JPEG", quality=jpeg_quality, optimize=True)
    else:
        if upright.mode not in ("RGB", "RGBA", "L", "LA", "P", "1", "I;16"):
            upright = upright.convert("RGBA")
        upright.save(out, format="PNG", optimize=True)  # no pnginfo: text chunks dropped
    return out.getvalue(), content_type, extension, upright.size


def clean_image(
    data: bytes, policy: ImagePolicy, *, jpeg_quality: int = 90, image: Image.Image | None = None
) -> CleanImage:
    """Validate (unless ``image`` is the result of :func:`open_checked` on ``data``) and
    re-encode: PNG stays PNG, everything else becomes JPEG; no metadata survives."""
    image = image if image is not None else open_checked(data, policy)
    original_format = _format_of(image) or "?"
    stored, content_type, extension, (width, height) = encode_clean(
        image, png=original_format == "PNG", jpeg_quality=jpeg_quality
    )
    return CleanImage(
        data=stored,
        content_type=content_type,
        extension=extension,
        width=width,
        height=height,
        sha256=hashlib.sha256(stored).hexdigest(),
        original_format=original_format,
        original_sha256=hashlib.sha256(data).hexdigest(),
        original_size=len(data),
    )
