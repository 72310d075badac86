"""Frozen-picture detection: pure, ``step(state, signature, t, ...) -> (state, verdict)``.

A camera whose encoder hangs keeps sending the same picture; a detector then sees the same goods
in every frame and a dwell time would run on a photograph. A frame is compared with the last
*fresh* picture (not with its predecessor, so a slow drift still counts as change): ``REPEAT``
while they stay the same for less than ``frozen_seconds``, ``FROZEN`` from then on, ``FRESH`` as
soon as the picture changes. The comparison is the mean absolute difference of the green
channel sampled on a grid about 480 pixels wide: cheap, and sensor noise is not averaged away.
Between two frames a live camera's P-frames may be almost identical, but each key frame brings
fresh sensor noise (generated footage: ≥ 1.2 levels from the key frame before); a frozen
picture re-encoded gives key frames within 0.2 level of each other (0.43 once, at the first).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import cv2
import numpy as np
import numpy.typing as npt

Signature = npt.NDArray[np.uint8]
GRID_WIDTH = 480


class Verdict(StrEnum):
    FRESH = "fresh"  # the picture changed: analyse it
    REPEAT = "repeat"  # the same picture, not (yet) for frozen_seconds
    FROZEN = "frozen"  # the same picture for frozen_seconds or longer


@dataclass(frozen=True)
class FreezeState:
    reference: Signature | None = None  # the last fresh picture
    since: float | None = None  # when it was seen (seconds, the caller's clock)


def signature(frame: npt.NDArray[np.uint8]) -> Signature:
    """The green channel of a BGR frame on a grid about ``GRID_WIDTH`` pixels wide."""
    stride = max(1, round(frame.shape[1] / GRID_WIDTH))
    return np.ascontiguousarray(frame[::stride, ::stride, 1])


def difference(a: Signature, b: Signature) -> float:
    """Mean absolute difference in levels (0-255); infinite when the sizes differ."""
    if a.shape != b.shape:
        return math.inf
    return float(cv2.absdiff(a, b).mean())


def step(
    state: FreezeState,
    sig: Signature,
    t: float,
    *,
    frozen_seconds: float,
    max_difference: float,
) -> tuple[FreezeState, Verdict]:
    """Judge the frame with signature ``sig`` seen at ``t``."""
    if state.reference is None or state.since is None:
        return FreezeState(sig, t), Verdict.FRESH
    if difference(sig, state.reference) > max_difference:
        return FreezeState(sig, t), Verdict.FRESH
    if t - state.since >= frozen_seconds:
        return state, Verdict.FROZEN
    return state, Verdict.REPEAT
