"""How a camera worker judges its stream: stalled, frozen, offline (``camera_health`` in node.yaml).

States a camera reports in the heartbeat (``CameraStats.state``), each with ``since`` and, when
it is not ``online``, a reason in ``error``:

- ``connecting``: opening the source, no frame yet;
- ``online``: frames arrive and are analysed;
- ``stalled``: connected, but no frame for ``stall_seconds``; the connection is dropped and
  reopened after twice that long without data;
- ``frozen``: frames arrive but the picture has not changed for ``frozen_seconds``: they are
  not analysed (a frozen picture never advances a dwell time);
- ``reconnecting``: the source failed or ended; retried with exponential backoff;
- ``offline``: down for more than ``offline_seconds`` (still retried), a video file that ended,
  or a camera whose pipeline cannot be built;
- ``disabled``: ``enabled: false`` in the config.
"""

from __future__ import annotations

from pydantic import Field

from streetorder.contracts.camera import Strict

CAMERA_STATES = (
    "connecting",
    "online",
    "stalled",
    "frozen",
    "reconnecting",
    "offline",
    "disabled",
)


class CameraHealth(Strict):
    """Thresholds of the camera watchdog, the same for every camera of a node."""

    stall_seconds: float = Field(
        10.0,
        gt=0,
        le=600,
        description="No frame this long (and at least 3 analysis intervals): stalled. Twice as "
        "long without data: the connection is dropped and reopened.",
    )
    frozen_seconds: float | None = Field(
        30.0,
        gt=0,
        le=3600,
        description="The picture unchanged this long: frozen, frames not analysed; None: off.",
    )
    frozen_max_difference: float = Field(
        0.5,
        ge=0,
        le=255,
        description="Mean absolute difference (0-255 levels, green channel) under which two "
        "frames count as the same picture.",
    )
    offline_seconds: float = Field(
        30.0, gt=0, le=86400, description="Reconnecting this long: reported offline."
    )

    def stall_after(self, interval: float) -> float:
        """Seconds without a frame before a camera sampled every ``interval`` s is stalled."""
        return max(self.stall_seconds, 3 * interval)

    @property
    def read_timeout(self) -> float:
        """Seconds a blocked read may wait before the source gives up and reconnects."""
        return 2 * self.stall_seconds
