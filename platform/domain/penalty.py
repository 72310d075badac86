"""Fines and late-payment surcharges (amounts in fen, 1 CNY = 100 fen)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from streetorder.platform.domain.errors import InvalidInput


@dataclass(frozen=True)
class PenaltyRules:
    min_fine_cents: int = 100_00
    max_fine_cents: int = 1000_00
    default_fine_cents: int = 200_00
    surcharge_percent_per_day: float = 3.0
    surcharge_cap_ratio: float = 1.0


def check_fine(fine_cents: int, rules: PenaltyRules) -> int:
    if not rules.min_fine_cents <= fine_cents <= rules.max_fine_cents:
        raise InvalidInput(
            f"fine {fine_cents / 100:.2f} CNY is outside "
            f"{rules.min_fine_cents / 100:.0f}-{rules.max_fine_cents / 100:.0f} CNY"
        )
    return fine_cents


def days_late(due_at: datetime, paid_at: datetime, tz: ZoneInfo) -> int:
    """Whole local calendar days after the due date (paying on the due date is on time)."""
    return max(0, (paid_at.astimezone(tz).date() - due_at.astimezone(tz).date()).days)


def late_surcharge_cents(
    fine_cents: int, due_at: datetime, paid_at: datetime, tz: ZoneInfo, rules: PenaltyRules
) -> int:
    """3% of the fine per day late by default, never more than the fine itself."""
    late = days_late(due_at, paid_at, tz)
    raw = round(fine_cents * rules.surcharge_percent_per_day / 100 * late)
    return min(raw, int(fine_cents * rules.surcharge_cap_ratio))


def amount_due_cents(
    fine_cents: int, due_at: datetime, paid_at: datetime, tz: ZoneInfo, rules: PenaltyRules
) -> int:
    return fine_cents + late_surcharge_cents(fine_cents, due_at, paid_at, tz, rules)
