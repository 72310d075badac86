"""Zone outlines must be simple polygons: the check, and the config refusing a bow tie."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streetorder.config.loader import validate_mapping
from streetorder.contracts.camera import ZoneConfig
from streetorder.contracts.polygon import segments_intersect, simplicity_problem
from streetorder.errors import ConfigError

SQUARE = [(0.1, 0.1), (0.9, 0.1), (0.9, 0.9), (0.1, 0.9)]


@pytest.mark.parametrize(
    ("points", "problem"),
    [
        (SQUARE, None),
        ([(0.1, 0.5), (0.5, 0.1), (0.9, 0.5), (0.5, 0.45)], None),  # concave arrow head
        ([(0.1, 0.1), (0.9, 0.9), (0.9, 0.1), (0.1, 0.9)], "edges 1 and 3 cross"),
        ([(0.1, 0.1), (0.9, 0.1), (0.5, 0.1), (0.1, 0.9)], "edges 1 and 2 fold back"),
        ([(0.1, 0.1), (0.9, 0.1), (0.9, 0.9), (0.1, 0.1)], "points 1 and 4 are the same"),
        ([(0.1, 0.1), (0.5, 0.5), (0.9, 0.9)], "fold back"),  # all on one line
        # a corner touching another edge: ambiguous inside, refused
        ([(0.0, 0.0), (0.8, 0.0), (0.8, 0.8), (0.4, 0.0), (0.0, 0.8)], "cross"),
    ],
)
def test_simplicity_problem(points, problem) -> None:
    found = simplicity_problem(points)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_segments_intersect_counts_touching_and_not_parallel_neighbours() -> None:
    assert segments_intersect((0, 0), (1, 1), (0, 1), (1, 0))
    assert segments_intersect((0, 0), (1, 0), (1, 0), (2, 5))  # touching at an end
    assert not segments_intersect((0, 0), (1, 0), (0, 1), (1, 1))  # parallel
    assert not segments_intersect((0, 0), (1, 0), (2, 0), (3, 0))  # collinear, apart


angles = st.lists(
    st.floats(0, 2 * math.pi, exclude_max=True), min_size=3, max_size=12, unique=True
).filter(lambda a: min(abs(x - y) for i, x in enumerate(a) for y in a[i + 1 :]) > 1e-3)


@given(angles)
def test_points_around_a_circle_in_order_are_simple_and_a_swap_crosses(a: list[float]) -> None:
    ring = [(0.5 + 0.4 * math.cos(t), 0.5 + 0.4 * math.sin(t)) for t in sorted(a)]
    if len(ring) >= 3 and _spans_a_half_turn(sorted(a)):
        assert simplicity_problem(ring) is None
    if len(ring) >= 4:
        swapped = [ring[0], ring[2], ring[1], *ring[3:]]  # the outline goes back across itself
        assert simplicity_problem(swapped) is not None


def _spans_a_half_turn(a: list[float]) -> bool:
    """Points on one short arc are nearly collinear only numerically; keep clear cases."""
    gaps = [b - x for x, b in zip(a, a[1:], strict=False)] + [a[0] + 2 * math.pi - a[-1]]
    return max(gaps) < math.pi


def test_zone_config_refuses_a_bow_tie_with_the_key() -> None:
    zone = {
        "id": "z1",
        "shop_id": "s1",
        "polygon": [[0.1, 0.1], [0.9, 0.9], [0.9, 0.1], [0.1, 0.9]],
    }
    with pytest.raises(ConfigError, match=r"^zone.yaml: polygon: not a simple polygon: edges 1"):
        validate_mapping(ZoneConfig, zone, "zone.yaml")
    zone["polygon"] = [list(p) for p in SQUARE]
    assert validate_mapping(ZoneConfig, zone, "zone.yaml").polygon == tuple(SQUARE)
