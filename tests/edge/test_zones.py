"""Zone membership: anchor point in polygon, inside share, class and score filters."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streetorder.contracts import ZoneConfig, ZoneRules
from streetorder.edge.detections import Detections
from streetorder.edge.zones import Zone, points_in_polygon
from streetorder.vocabulary import CLASS_IDS, CLASS_NAMES

SQUARE = ((0.25, 0.25), (0.75, 0.25), (0.75, 0.75), (0.25, 0.75))


def zone(polygon=SQUARE, size=(1000, 500), **rules) -> Zone:
    cfg = ZoneConfig(id="z1", shop_id="s1", polygon=polygon, rules=ZoneRules(**rules))
    return Zone.build(cfg, size, CLASS_NAMES)


def dets(boxes, classes=None, scores=None) -> Detections:
    n = len(boxes)
    classes = [CLASS_IDS["goods"]] * n if classes is None else [CLASS_IDS[c] for c in classes]
    return Detections(np.array(boxes, np.float32).reshape(-1, 4), scores or [0.9] * n, classes)


@pytest.mark.parametrize(
    ("box", "anchor", "share", "expected"),
    [
        ((400, 200, 500, 300), "bottom_center", 0.5, True),  # fully inside
        ((400, 300, 500, 400), "bottom_center", 0.5, False),  # bottom centre below the zone
        ((400, 300, 500, 400), "center", 0.5, True),  # centre at y=350 < 375: inside, share 0.75
        ((200, 200, 300, 300), "bottom_center", 0.5, True),  # half the box inside on x
        ((200, 200, 300, 300), "bottom_center", 0.6, False),  # ...not enough share
        ((100, 100, 200, 200), "bottom_center", 0.0, False),  # entirely outside
    ],
)
def test_trigger_by_anchor_and_share(box, anchor, share, expected) -> None:
    z = zone(anchor=anchor, min_inside_share=share)
    assert z.trigger(dets([box])).tolist() == [expected]


def test_classes_and_score_filter() -> None:
    z = zone(min_score=0.5)
    d = dets([(400, 200, 500, 300)] * 4, ["goods", "person", "two_wheeler", "umbrella"])
    assert z.trigger(d).tolist() == [True, False, False, True]
    low = dets([(400, 200, 500, 300)], scores=[0.4])
    assert z.trigger(low).tolist() == [False]
    z_people = zone(classes=("person",))
    assert z_people.trigger(d).tolist() == [False, True, False, False]
    assert zone().trigger(Detections.empty()).shape == (0,)


def test_non_square_frame_scales_polygon() -> None:
    z = zone(size=(1920, 1080))
    np.testing.assert_allclose(z.polygon[0], [480, 270])
    np.testing.assert_allclose(z.inside_share(np.array([[480, 270, 1440, 810]], np.float32)), [1.0])


def test_concave_polygon() -> None:
    # an L shape: the notch (upper right) is outside
    poly = ((0.1, 0.1), (0.5, 0.1), (0.5, 0.5), (0.9, 0.5), (0.9, 0.9), (0.1, 0.9))
    z = zone(polygon=poly, size=(1000, 1000), min_inside_share=0.0)
    d = dets([(600, 200, 700, 300), (600, 700, 700, 800), (200, 200, 300, 300)])
    assert z.trigger(d).tolist() == [False, True, True]


def test_unknown_model_classes_are_refused() -> None:
    cfg = ZoneConfig(id="z1", shop_id="s1", polygon=SQUARE)
    with pytest.raises(ValueError, match="none of its classes"):
        Zone.build(cfg, (100, 100), ("car", "bus"))


@settings(max_examples=60, deadline=None)
@given(
    pts=st.lists(
        st.tuples(st.floats(0, 1000, allow_nan=False), st.floats(0, 1000, allow_nan=False)),
        min_size=1,
        max_size=30,
    ),
    poly=st.lists(
        st.tuples(st.integers(0, 1000), st.integers(0, 1000)), min_size=3, max_size=8, unique=True
    ),
)
def test_points_in_polygon_matches_opencv(pts, poly) -> None:
    import cv2

    polygon = np.array(poly, np.float32)
    if abs(cv2.contourArea(polygon)) < 1:
        return
    points = np.array(pts, np.float32)
    ours = points_in_polygon(points, polygon)
    if not _simple(polygon):  # self-intersecting: even-odd and OpenCV may differ
        return
    for p, inside in zip(points, ours, strict=True):
        d = cv2.pointPolygonTest(polygon, (float(p[0]), float(p[1])), True)
        if abs(d) > 1e-3:  # points on an edge may go either way
            assert inside == (d > 0), (p, d)


def _simple(polygon: np.ndarray) -> bool:
    n = len(polygon)
    segs = [(polygon[i], polygon[(i + 1) % n]) for i in range(n)]

    def ccw(a, b, c) -> float:
        return float((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))

    for i in range(n):
        for j in range(i + 1, n):
            if abs(i - j) in (1, n - 1):
                continue
            (a, b), (c, d) = segs[i], segs[j]
            if ccw(a, b, c) * ccw(a, b, d) < 0 and ccw(c, d, a) * ccw(c, d, b) < 0:
                return False
    return True


@settings(max_examples=40, deadline=None)
@given(
    x1=st.integers(0, 900),
    y1=st.integers(0, 400),
    w=st.integers(2, 400),
    h=st.integers(2, 300),
)
def test_inside_share_matches_geometry(x1, y1, w, h) -> None:
    z = zone(size=(1000, 500))
    x2, y2 = x1 + w, y1 + h
    ix = max(0, min(x2, 750) - max(x1, 250))
    iy = max(0, min(y2, 375) - max(y1, 125))
    expected = ix * iy / (w * h)
    got = float(z.inside_share(np.array([[x1, y1, x2, y2]], np.float32))[0])
    assert got == pytest.approx(expected, abs=0.1 + 4 / min(w, h))


def test_tall_object_standing_in_the_zone_counts_by_its_footprint() -> None:
    # a rack 400 px tall standing in the zone: only its lowest part is over the ground polygon
    z = zone(size=(1000, 1000))
    rack = dets([(400, 0, 500, 400)])
    assert float(z.inside_share(rack.xyxy)[0]) < 0.5  # the whole box is mostly above the zone
    assert z.trigger(rack).tolist() == [True]
    # the same box with its feet outside the zone does not count
    assert z.trigger(dets([(400, 0, 500, 240)])).tolist() == [False]
    # a centre anchor (top-down cameras) keeps the whole-box share
    assert zone(size=(1000, 1000), anchor="center").trigger(rack).tolist() == [False]
