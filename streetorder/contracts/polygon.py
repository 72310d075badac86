"""Is a zone outline a simple polygon? (Its edges meet only at shared corners, in order.)

A self-intersecting outline ("bow tie") makes "inside the zone" ambiguous, so configs refuse it.
Pure Python: the contracts carry no geometry library.
"""

from __future__ import annotations

from collections.abc import Sequence

Point = tuple[float, float]


def _cross(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _dot(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[0] - o[0]) + (a[1] - o[1]) * (b[1] - o[1])


def _on_segment(p: Point, a: Point, b: Point) -> bool:
    """``p`` (collinear with a-b) lies within the segment's bounding box."""
    return min(a[0], b[0]) <= p[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= p[1] <= max(a[1], b[1])


def segments_intersect(a: Point, b: Point, c: Point, d: Point) -> bool:
    """Segments a-b and c-d share at least one point (touching counts)."""
    d1, d2 = _cross(c, d, a), _cross(c, d, b)
    d3, d4 = _cross(a, b, c), _cross(a, b, d)
    if ((d1 > 0 > d2) or (d1 < 0 < d2)) and ((d3 > 0 > d4) or (d3 < 0 < d4)):
        return True
    return (
        (d1 == 0 and _on_segment(a, c, d))
        or (d2 == 0 and _on_segment(b, c, d))
        or (d3 == 0 and _on_segment(c, a, b))
        or (d4 == 0 and _on_segment(d, a, b))
    )


def simplicity_problem(points: Sequence[Point]) -> str | None:
    """Why the closed outline through ``points`` is not a simple polygon, or None if it is.

    Edges are numbered from 1: edge k runs from point k to point k+1 (the last one back to
    point 1).
    """
    pts = [(float(x), float(y)) for x, y in points]
    n = len(pts)
    seen: dict[Point, int] = {}
    for i, p in enumerate(pts):
        if p in seen:
            return f"points {seen[p] + 1} and {i + 1} are the same point {p}"
        seen[p] = i
    edges = [(pts[i], pts[(i + 1) % n]) for i in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            adjacent = j == i + 1 or (i == 0 and j == n - 1)
            (a, b), (c, d) = edges[i], edges[j]
            if adjacent:
                # neighbours share a corner; they cross only by folding back along each other
                shared, p, q = (b, a, d) if j == i + 1 else (a, b, c)
                backtracks = _cross(shared, p, q) == 0 and _dot(shared, p, q) > 0
                if backtracks:
                    return f"edges {i + 1} and {j + 1} fold back onto each other"
            elif segments_intersect(a, b, c, d):
                return (
                    f"edges {i + 1} and {j + 1} cross: the outline intersects itself "
                    "(list the points in order around the zone)"
                )
    area2 = sum(_cross((0.0, 0.0), edges[i][0], edges[i][1]) for i in range(n))
    if area2 == 0:
        return "the points lie on one line: the zone has no area"
    return None
