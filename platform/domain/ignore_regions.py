"""Reviewer verdicts that become masks: the "fixed structure" reject reason and the geometry of
the ignore region made from a rejected alert's object boxes (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

#: The reject reason code (JSON API) and the console's text for it, defined once here.
FIXED_STRUCTURE = "fixed_structure"
FIXED_STRUCTURE_LABEL = "Fixed structure (固定设施): street furniture taken for goods"
#: Each side of an object's box grows by this fraction of the box's width/height.
MARGIN = 0.05
#: A new box this much inside an existing region is already covered (no duplicate).
COVERED_FRACTION = 0.9

Box = tuple[float, float, float, float]


def is_fixed_structure(reason: str) -> bool:
    """The reason code, optionally followed by ``: a note``, or the console's text."""
    text = reason.strip()
    head = text.split(":", 1)[0].strip()
    return head == FIXED_STRUCTURE or text.startswith(FIXED_STRUCTURE_LABEL) or "固定设施" in head


def region_box(box_xyxy: Sequence[float], frame_size: Sequence[int], margin: float = MARGIN) -> Box:
    """A pixel box grown by ``margin`` of its size on each side, relative to the frame, in 0..1."""
    width, height = frame_size
    x1, y1, x2, y2 = box_xyxy
    dx, dy = (x2 - x1) * margin, (y2 - y1) * margin
    return (
        round(min(max((x1 - dx) / width, 0.0), 1.0), 4),
        round(min(max((y1 - dy) / height, 0.0), 1.0), 4),
        round(min(max((x2 + dx) / width, 0.0), 1.0), 4),
        round(min(max((y2 + dy) / height, 0.0), 1.0), 4),
    )


def area(box: Box) -> float:
    return max(box[2] - box[0], 0.0) * max(box[3] - box[1], 0.0)


def inside_fraction(box: Box, region: Box) -> float:
    """How much of ``box`` lies inside ``region`` (0..1)."""
    overlap = (max(box[0], region[0]), max(box[1], region[1]))
    overlap += (min(box[2], region[2]), min(box[3], region[3]))
    return area(overlap) / area(box) if area(box) > 0 else 1.0


def is_covered(box: Box, regions: Iterable[Box]) -> bool:
    return any(inside_fraction(box, r) >= COVERED_FRACTION for r in regions)
