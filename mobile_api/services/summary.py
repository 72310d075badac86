"""The squad leader's view of the squad: shops by colour, inspections due and overdue."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from streetorder.mobile_api.db import Inspection, InspectionTask
from streetorder.mobile_api.domain.risk import Colour
from streetorder.mobile_api.domain.urgency import TaskKind
from streetorder.mobile_api.services.scope import require_leader, squad_of
from streetorder.platform.db import Merchant, Squad, WorkOrder
from streetorder.platform.domain.roles import Actor
from streetorder.platform.services.work_orders import OPEN_STATES

OPEN = ("open", "in_progress")


@dataclass(frozen=True)
class KindCounts:
    due: int = 0  # open, not yet past due
    overdue: int = 0  # open, past due


@dataclass(frozen=True)
class SquadSummary:
    squad: Squad
    at: datetime
    shops_by_colour: dict[str, int]
    inspections: KindCounts
    special: KindCounts
    work_orders: KindCounts
    due_next_24h: int
    inspected_last_7_days: int
    overdue_shops: list[int] = field(default_factory=list)


def squad_summary(session: Session, *, actor: Actor, now: datetime) -> SquadSummary:
    require_leader(actor)
    squad = squad_of(session, actor)
    colours = {c.value: 0 for c in Colour}
    for colour, count in session.execute(
        select(Merchant.risk_colour, func.count())
        .where(Merchant.street_id == squad.street_id)
        .group_by(Merchant.risk_colour)
    ):
        colours[colour] = colours.get(colour, 0) + int(count)

    def task_counts(kind: TaskKind) -> KindCounts:
        base = select(func.count()).where(
            InspectionTask.squad_id == squad.id,
            InspectionTask.kind == kind.value,
            InspectionTask.status.in_(OPEN),
        )
        overdue = session.scalar(base.where(InspectionTask.due_at < now)) or 0
        due = session.scalar(base.where(InspectionTask.due_at >= now)) or 0
        return KindCounts(int(due), int(overdue))

    wo = select(func.count()).where(
        WorkOrder.squad_id == squad.id, WorkOrder.state.in_(OPEN_STATES)
    )
    overdue_shops = session.scalars(
        select(InspectionTask.merchant_id)
        .where(
            InspectionTask.squad_id == squad.id,
            InspectionTask.status.in_(OPEN),
            InspectionTask.due_at < now,
        )
        .distinct()
        .order_by(InspectionTask.merchant_id)
    )
    return SquadSummary(
        squad=squad,
        at=now,
        shops_by_colour=colours,
        inspections=task_counts(TaskKind.INSPECTION),
        special=task_counts(TaskKind.SPECIAL),
        work_orders=KindCounts(
            int(session.scalar(wo.where(WorkOrder.deadline_at >= now)) or 0),
            int(session.scalar(wo.where(WorkOrder.deadline_at < now)) or 0),
        ),
        due_next_24h=int(
            session.scalar(
                select(func.count()).where(
                    InspectionTask.squad_id == squad.id,
                    InspectionTask.status.in_(OPEN),
                    InspectionTask.due_at >= now,
                    InspectionTask.due_at < now + timedelta(hours=24),
                )
            )
            or 0
        ),
        inspected_last_7_days=int(
            session.scalar(
                select(func.count()).where(
                    Inspection.squad_id == squad.id,
                    Inspection.inspected_at >= now - timedelta(days=7),
                )
            )
            or 0
        ),
        overdue_shops=list(overdue_shops),
    )
