"""First-offence exemption (首违免罚): which track a confirmed case takes, and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from streetorder.platform.domain.workflow import Track, format_local


@dataclass(frozen=True)
class TrackDecision:
    track: Track
    explanation: str


def decide_track(
    *,
    prior_confirmed: int,
    latest_prior: datetime | None,
    lookback_days: int,
    enabled: bool,
    correct_by: datetime,
    tz: ZoneInfo,
) -> TrackDecision:
    """Exempt when the merchant has no other confirmed violation in the look-back window.

    Args:
        prior_confirmed: confirmed violations of the merchant in the window, this case excluded.
        latest_prior: when the most recent of them was confirmed.
        correct_by: the correction deadline that keeps the exemption.
    """
    if not enabled:
        return TrackDecision(Track.PENALTY, "first-offence exemption is disabled: penalty path")
    if prior_confirmed == 0:
        return TrackDecision(
            Track.EXEMPT,
            f"first offence in {lookback_days} days: exempt if corrected by "
            f"{format_local(correct_by, tz)}",
        )
    plural = "s" if prior_confirmed != 1 else ""
    latest = f" (latest {format_local(latest_prior, tz)})" if latest_prior else ""
    return TrackDecision(
        Track.PENALTY,
        f"repeat offence: {prior_confirmed} confirmed violation{plural} in the last "
        f"{lookback_days} days{latest}: penalty path",
    )


def escalation_note(deadline: datetime, tz: ZoneInfo) -> str:
    return f"first offence not corrected by {format_local(deadline, tz)}: moved to the penalty path"
