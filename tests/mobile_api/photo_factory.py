"""Generated test photos: JPEG/PNG/HEIC with chosen EXIF, and broken or foreign files."""

from __future__ import annotations

import functools
import io
from typing import Any

from PIL import Image, ImageDraw

EXIF_IFD, GPS_IFD = 0x8769, 0x8825


def scene(width: int = 160, height: int = 120, seed: int = 0) -> Image.Image:
    """A small street-like picture (pavement, a shop front, a box), distinct per seed."""
    image = Image.new("RGB", (width, height), (120 + seed % 50, 120, 125))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, height // 2), fill=(90, 60 + seed % 90, 40))
    draw.rectangle(
        (width // 3, height // 2, width // 3 + 20, height // 2 + 15), fill=(200, 150, 60)
    )
    return image


def exif_for(
    when: str | None = "2026:11:21 14:05:09",
    offset: str | None = "+08:00",
    gps: tuple[float, float] | None = (31.225, 121.47),
    orientation: int | None = None,
) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make: must not survive
    exif[0x0131] = "secret-app 1.0"  # Software: must not survive
    if orientation:
        exif[0x0112] = orientation
    sub: dict[int, Any] = {}
    if when:
        sub[0x9003] = when
    if offset:
        sub[0x9011] = offset
    if sub:
        exif[EXIF_IFD] = sub
    if gps:
        lat, lon = gps

        def dms(value: float) -> tuple[float, float, float]:
            value = abs(value)
            d = int(value)
            m = int((value - d) * 60)
            return (float(d), float(m), round((value - d - m / 60) * 3600, 4))

        exif[GPS_IFD] = {
            1: "N" if lat >= 0 else "S",
            2: dms(lat),
            3: "E" if lon >= 0 else "W",
            4: dms(lon),
        }
    return exif


def jpeg(
    seed: int = 0, exif: Image.Exif | None = None, size: tuple[int, int] = (160, 120)
) -> bytes:
    out = io.BytesIO()
    image = scene(*size, seed=seed)
    if exif is None:
        image.save(out, format="JPEG", quality=85)
    else:
        image.save(out, format="JPEG", quality=85, exif=exif)
    return out.getvalue()


def png(seed: int = 0, text: str | None = "owner=secret") -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    if text:
        info.add_text("Comment", text)
    out = io.BytesIO()
    scene(seed=seed).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def heic(seed: int = 0, exif: Image.Exif | None = None) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    kwargs = {"exif": exif.tobytes()} if exif is not None else {}
    scene(seed=seed).save(out, format="HEIF", quality=80, **kwargs)
    return out.getvalue()


def gif() -> bytes:
    out = io.BytesIO()
    scene().convert("P").save(out, format="GIF")
    return out.getvalue()


def truncated_jpeg() -> bytes:
    data = jpeg(size=(640, 480))
    return data[: len(data) // 2]


def oversized_jpeg(min_bytes: int) -> bytes:
    """A real, decodable JPEG bigger than ``min_bytes`` (noise does not compress)."""
    import numpy as np

    side = 512
    while True:
        noise = np.random.default_rng(7).integers(0, 256, (side, side, 3), dtype=np.uint8)
        out = io.BytesIO()
        Image.fromarray(noise).save(out, format="JPEG", quality=100)
        if out.tell() > min_bytes:
            return out.getvalue()
        side *= 2


def webp(seed: int = 0) -> bytes:
    out = io.BytesIO()
    scene(seed=seed).save(out, format="WEBP", quality=80)
    return out.getvalue()


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    import struct
    import zlib

    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` grey pixels (a bomb's header)."""
    import struct
    import zlib

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )


@functools.lru_cache(maxsize=4)
def zero_filled_png(width: int, height: int) -> bytes:
    """A complete, valid grey PNG of zeros: a few MB that decode to ``width*height`` bytes.
    Compressed row by row, so making it never holds the decoded picture."""
    import struct
    import zlib

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    squeeze = zlib.compressobj(9)
    row = b"\x00" * (width + 1)  # filter byte 0, then the row
    idat = b"".join(squeeze.compress(row) for _ in range(height)) + squeeze.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def zip_archive() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.txt", "not part of any photo")
    return out.getvalue()


def jpeg_zip_polyglot(seed: int = 0) -> bytes:
    """A valid JPEG with a ZIP archive appended: opens as either."""
    return jpeg(seed=seed) + zip_archive()


def jpeg_with_trailer(seed: int = 0) -> bytes:
    """A JPEG followed by an unknown vendor trailer, as some phones append."""
    return jpeg(seed=seed) + b"SEFH" + bytes(range(256)) * 4
