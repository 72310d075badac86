"""First-offence exemption (首违免罚): which track a confirmed case takes, and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from streetorder.i18n import text
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
    squad_hours: float | None = None,
) -> TrackDecision:
    """Exempt when the merchant has no other confirmed violation in the look-back window.

    Args:
        prior_confirmed: confirmed violations of the merchant in the window, this case excluded.
        latest_prior: when the most recent of them was confirmed.
        correct_by: the correction deadline that keeps the exemption.
        squad_hours: on a ``notify_first`` street, ``correct_by`` is the end of the grace
            period; a merchant who misses it gets the squad, and a correction within the work
            order's ``squad_hours`` still keeps the exemption: the note says both.
    """
    if not enabled:
        return TrackDecision(Track.PENALTY, text("exemption.disabled"))
    if prior_confirmed == 0:
        deadline = format_local(correct_by, tz)
        if squad_hours is not None:
            note = text(
                "exemption.first_notify", days=lookback_days, deadline=deadline,
                hours=f"{squad_hours:g}",
            )  # fmt: skip
            return TrackDecision(Track.EXEMPT, note)
        return TrackDecision(
            Track.EXEMPT, text("exemption.first", days=lookback_days, deadline=deadline)
        )
    latest = text("exemption.latest", at=format_local(latest_prior, tz)) if latest_prior else ""
    return TrackDecision(
        Track.PENALTY,
        text("exemption.repeat", count=prior_confirmed, days=lookback_days, latest=latest),
    )


def escalation_note(deadline: datetime, tz: ZoneInfo) -> str:
    return text("exemption.escalated", deadline=format_local(deadline, tz))
