"""Audit rows of work-order and SMS transitions (``lifecycle_events``), same transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from streetorder.platform.db import LifecycleEvent
from streetorder.platform.domain.lifecycle import LifecycleRecord
from streetorder.platform.services.case_audit import jsonable


def write(
    session: Session, record: LifecycleRecord, *, subject_id: int, case_id: int
) -> LifecycleEvent:
    row = LifecycleEvent(
        subject=record.subject, subject_id=subject_id, case_id=case_id, event=record.event,
        from_state=record.from_state, to_state=record.to_state, actor_id=record.actor.user_id,
        actor_role=record.actor.role.value, actor_name=record.actor.name, at=record.at,
        note=record.note, data=jsonable(record.data),
    )  # fmt: skip
    session.add(row)
    return row


def history(session: Session, *, subject: str, subject_id: int) -> list[LifecycleEvent]:
    stmt = (
        select(LifecycleEvent)
        .filter_by(subject=subject, subject_id=subject_id)
        .order_by(LifecycleEvent.id)
    )
    return list(session.scalars(stmt))


def of_case(session: Session, *, case_id: int) -> list[LifecycleEvent]:
    """Every work-order and SMS transition of a case, oldest first."""
    stmt = select(LifecycleEvent).filter_by(case_id=case_id).order_by(LifecycleEvent.id)
    return list(session.scalars(stmt))
