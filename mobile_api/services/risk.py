"""Apply the colour rules to shops and record every effect with its cause."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from streetorder.mobile_api.db import RiskEvent, RiskState
from streetorder.mobile_api.domain import risk as rules_
from streetorder.mobile_api.domain.risk import Cause, Colour, ColourChange, ColourRules
from streetorder.platform.db import Case, Merchant


def state_row(session: Session, merchant: Merchant) -> RiskState:
    row = session.get(RiskState, merchant.id)
    if row is None:
        row = RiskState(merchant_id=merchant.id, clean_run=0)
        session.add(row)
    return row


def _colour(merchant: Merchant) -> Colour:
    try:
        return Colour(merchant.risk_colour)
    except ValueError:
        return Colour.GREEN


def _record(
    session: Session,
    *,
    merchant: Merchant,
    row: RiskState,
    new: rules_.RiskState,
    before: Colour,
    cause: str,
    now: datetime,
    case_id: int | None = None,
    inspection_id: int | None = None,
    actor_id: int | None = None,
) -> None:
    merchant.risk_colour = new.colour.value
    row.clean_run = new.clean_run
    row.updated_at = now
    session.add(
        RiskEvent(
            merchant_id=merchant.id,
            at=now,
            cause=cause,
            case_id=case_id,
            inspection_id=inspection_id,
            colour_before=before.value,
            colour_after=new.colour.value,
            clean_run_after=new.clean_run,
            actor_id=actor_id,
        )
    )


def apply_inspection(
    session: Session,
    *,
    merchant: Merchant,
    result: rules_.InspectionResult,
    inspection_id: int,
    rules: ColourRules,
    now: datetime,
    actor_id: int | None,
) -> ColourChange | None:
    row = state_row(session, merchant)
    before = _colour(merchant)
    new, change = rules_.on_inspection(rules_.RiskState(before, row.clean_run), result, rules)
    # a change names its rule; an inspection that changed nothing is recorded by its result
    cause = change.cause.value if change else f"inspection_{result.value}"
    _record(
        session,
        merchant=merchant,
        row=row,
        new=new,
        before=before,
        cause=cause,
        now=now,
        inspection_id=inspection_id,
        actor_id=actor_id,
    )
    row.last_inspected_at = now
    return change


def apply_confirmed_cases(
    session: Session,
    *,
    rules: ColourRules,
    now: datetime,
    merchant_id: int | None = None,
    window: timedelta = timedelta(days=30),
    limit: int = 5000,
) -> list[ColourChange]:
    """Raise the colour of shops with cases confirmed since last time (each case once).

    Only cases confirmed within ``window`` are looked at, so the scan stays small however
    many cases the platform holds; the job runs every few minutes, far inside the window.
    """
    applied = select(RiskEvent.id).where(RiskEvent.case_id == Case.id)
    stmt = (
        select(Case, Merchant)
        .join(Merchant, Merchant.id == Case.merchant_id)
        .where(Case.confirmed_at >= now - window, ~applied.exists())
        .order_by(Case.confirmed_at, Case.id)
        .limit(limit)
    )
    if merchant_id is not None:
        stmt = stmt.where(Case.merchant_id == merchant_id)
    changes = []
    for case, merchant in session.execute(stmt).all():
        row = state_row(session, merchant)
        before = _colour(merchant)
        new, change = rules_.on_violation(rules_.RiskState(before, row.clean_run), rules)
        _record(
            session,
            merchant=merchant,
            row=row,
            new=new,
            before=before,
            cause=Cause.CONFIRMED_VIOLATION.value,
            now=now,
            case_id=case.id,
        )
        session.flush()
        if change:
            changes.append(change)
    return changes


def history(session: Session, *, merchant_id: int, changes_only: bool = True) -> list[RiskEvent]:
    stmt = select(RiskEvent).filter_by(merchant_id=merchant_id).order_by(RiskEvent.id)
    if changes_only:
        stmt = stmt.where(RiskEvent.colour_before != RiskEvent.colour_after)
    return list(session.scalars(stmt))
