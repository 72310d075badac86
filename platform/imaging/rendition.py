"""Public renditions of evidence frames: every person blurred beyond recognition, the rest of
the picture untouched (PNG, so no other pixel changes), no metadata.

The merchant's signed SMS link shows these; the originals stay as received (and hash-verified)
for the case record. Where the people in a frame are not known (an edge from before
``EvidenceRef.persons``), everything but the alert's objects is blurred instead.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageFilter

Box = Sequence[float]
#: A person box grows by this share of its size on each side (hair, elbows, a bag).
MARGIN = 0.12


def blur_people(
    data: bytes,
    persons: Sequence[Box] | None,
    *,
    keep: Sequence[Box] = (),
    keep_frame_size: tuple[int, int] | None = None,
) -> bytes:
    """The public rendition of one image (PNG).

    Args:
        data: the original image (already validated when it was uploaded).
        persons: people boxes in the image's pixels; None when unknown.
        keep: with ``persons`` unknown, the boxes that stay sharp (the alert's objects).
        keep_frame_size: the frame ``keep`` is measured in (width, height); None: the image's.
    """
    with Image.open(io.BytesIO(data)) as opened:
        image = opened.convert("RGB")
    if persons is None:
        frame = keep_frame_size or image.size
        scale = (image.size[0] / frame[0], image.size[1] / frame[1])
        image = _all_but(image, keep, scale)
    else:
        for box in persons:
            region = _grown(box, image.size)
            if region is not None:
                image.paste(_unrecognisable(image.crop(region)), region[:2])
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=6)
    return out.getvalue()


def _grown(box: Box, size: tuple[int, int]) -> tuple[int, int, int, int] | None:
    x1, y1, x2, y2 = (float(v) for v in box)
    mx, my = (x2 - x1) * MARGIN, (y2 - y1) * MARGIN
    left, top = max(0, int(x1 - mx)), max(0, int(y1 - my))
    right, bottom = min(size[0], int(x2 + mx + 1)), min(size[1], int(y2 + my + 1))
    if right <= left or bottom <= top:
        return None
    return left, top, right, bottom


def _unrecognisable(region: Image.Image) -> Image.Image:
    """Coarse blocks (about 8 across the region), then softened: no face, no clothing detail."""
    w, h = region.size
    step = max(4, min(w, h) // 8)
    small = region.resize((max(1, w // step), max(1, h // step)), Image.Resampling.BOX)
    blocks = small.resize((w, h), Image.Resampling.NEAREST)
    return blocks.filter(ImageFilter.GaussianBlur(radius=max(2, step // 2)))


def _all_but(image: Image.Image, keep: Sequence[Box], scale: tuple[float, float]) -> Image.Image:
    out = _unrecognisable(image)
    for box in keep:
        x1, y1, x2, y2 = (float(v) for v in box)
        scaled = (x1 * scale[0], y1 * scale[1], x2 * scale[0], y2 * scale[1])
        region = _grown(scaled, image.size)
        if region is not None:
            out.paste(image.crop(region), region[:2])
    return out
