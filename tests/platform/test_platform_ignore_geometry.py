"""The fixed-structure reason and the region made from an object's box (pure)."""

from __future__ import annotations

import pytest

from streetorder.contracts import IgnoreRegion
from streetorder.platform.domain.ignore_regions import (
    FIXED_STRUCTURE_LABEL,
    inside_fraction,
    is_covered,
    is_fixed_structure,
    region_box,
)


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("fixed_structure", True),
        (" fixed_structure: the bollard by the kerb ", True),
        (FIXED_STRUCTURE_LABEL, True),
        ("固定设施：路桩", True),
        ("固定设施", True),
        ("Person or vehicle taken for goods", False),
        ("not a fixed_structure", False),
        ("Other: 固定设施 maybe, check", False),
    ],
)
def test_which_reasons_mask(reason: str, expected: bool) -> None:
    assert is_fixed_structure(reason) is expected


def test_the_box_grows_five_percent_a_side_and_is_relative() -> None:
    box = region_box((100, 50, 200, 250), (1000, 500))
    assert box == (0.095, 0.08, 0.205, 0.52)
    IgnoreRegion(id="mask-1", box=box)  # what the node accepts


def test_a_box_at_the_frame_edge_is_clipped() -> None:
    assert region_box((0, 300, 64, 360), (640, 360)) == (0.0, 0.825, 0.105, 1.0)


def test_covered_means_nine_tenths_inside_an_existing_region() -> None:
    region = (0.1, 0.1, 0.3, 0.5)
    assert inside_fraction((0.1, 0.1, 0.3, 0.5), region) == 1.0
    assert is_covered((0.11, 0.12, 0.31, 0.5), [region])  # the same object, a little moved
    assert not is_covered((0.2, 0.1, 0.4, 0.5), [region])  # half outside
    assert not is_covered((0.11, 0.12, 0.31, 0.5), [])
