"""The inspection scheduler: one routine task per shop, due as its colour says.

Run it periodically (``streetorder mobile schedule`` or any timer); it is idempotent. It first
applies newly confirmed cases to the shops' colours, so a shop that just turned red gets its
next visit brought forward.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, cast, literal, select
from sqlalchemy.orm import Session

from streetorder.mobile_api.db import InspectionTask, RiskState
from streetorder.mobile_api.domain.risk import Colour, ColourRules
from streetorder.mobile_api.domain.schedule import ScheduleRules, decide
from streetorder.mobile_api.domain.urgency import TaskKind, TaskStatus
from streetorder.mobile_api.services.risk import apply_confirmed_cases
from streetorder.platform.db import Merchant, Squad


@dataclass(frozen=True)
class ScheduleReport:
    created: int
    moved: int
    colour_changes: int


def routine_slot(merchant_id: int) -> str:
    return f"routine:{merchant_id}"


def schedule_inspections(
    session: Session, *, schedule: ScheduleRules, colours: ColourRules, now: datetime
) -> ScheduleReport:
    changes = apply_confirmed_cases(session, rules=colours, now=now)
    squads: dict[int, int] = {}
    for squad_id, street_id in session.execute(
        select(Squad.id, Squad.street_id).order_by(Squad.id)
    ):
        squads.setdefault(street_id, squad_id)
    rows = session.execute(
        select(Merchant, RiskState.last_inspected_at, InspectionTask)
        .outerjoin(RiskState, RiskState.merchant_id == Merchant.id)
        .outerjoin(
            InspectionTask,
            InspectionTask.open_slot == literal("routine:", String) + cast(Merchant.id, String),
        )
        .where(Merchant.street_id.is_not(None))
        .order_by(Merchant.id)
    ).all()
    created = moved = 0
    for merchant, last, task in rows:
        squad_id = squads.get(merchant.street_id)
        if squad_id is None:
            continue
        try:
            colour = Colour(merchant.risk_colour)
        except ValueError:
            colour = Colour.GREEN
        due, decision = decide(colour, last, task.due_at if task else None, now, schedule)
        if decision.create:
            session.add(
                InspectionTask(
                    kind=TaskKind.INSPECTION.value,
                    merchant_id=merchant.id,
                    squad_id=squad_id,
                    status=TaskStatus.OPEN.value,
                    due_at=due,
                    colour_at_creation=colour.value,
                    open_slot=routine_slot(merchant.id),
                    created_at=now,
                    updated_at=now,
                )
            )
            created += 1
        elif decision.move_to is not None and task is not None:
            task.due_at = decision.move_to
            task.updated_at = now
            moved += 1
    session.flush()
    return ScheduleReport(created, moved, len(changes))
