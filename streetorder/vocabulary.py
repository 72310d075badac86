"""The detector's class vocabulary: the one place that names what the model sees.

Order matters: the index of a name is its class id in the training labels and the model.
"""

from __future__ import annotations

CLASS_NAMES: tuple[str, ...] = (
    "goods",  # boxes, crates, sacks, baskets, piles of produce
    "rack",  # display racks and shelves
    "table",  # tables, counters, stands
    "stall",  # carts, tricycle stalls, booths
    "umbrella",  # parasols, canopies
    "person",  # people standing or walking (never a violation by default)
    "two_wheeler",  # bicycles, e-bikes, scooters (never a violation by default)
)

#: Classes that make a violation episode when left in a frontage zone (configurable per zone).
DEFAULT_VIOLATION_CLASSES: tuple[str, ...] = ("goods", "rack", "table", "stall", "umbrella")

CLASS_IDS: dict[str, int] = {name: i for i, name in enumerate(CLASS_NAMES)}
