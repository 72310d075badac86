"""The officer's task list: work orders, inspection tasks and special inspections in one
urgency order, paginated, filterable, and fetchable by change time for offline sync.

Two sources (the platform's ``work_orders`` and this app's ``mobile_inspection_tasks``) are
each queried in urgency order, then merged; a page needs at most ``offset + limit`` rows of
each, so the merge is exact.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case as sql_case
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from streetorder.mobile_api.db import InspectionTask
from streetorder.mobile_api.domain.urgency import (
    CLOSED,
    COLOUR_RANK,
    KIND_RANK,
    TaskKind,
    TaskStatus,
    urgency_key,
)
from streetorder.mobile_api.services.scope import squad_of
from streetorder.platform.db import Case, Merchant, WorkOrder
from streetorder.platform.domain.roles import Actor

#: The platform's work-order states as the app's task statuses.
WORK_ORDER_STATUS: dict[str, TaskStatus] = {
    "open": TaskStatus.OPEN,
    "acknowledged": TaskStatus.IN_PROGRESS,
    "done": TaskStatus.DONE,
    "cancelled": TaskStatus.CANCELLED,
}
ACTIVE = (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)


@dataclass(frozen=True)
class TaskFilter:
    kinds: tuple[TaskKind, ...] = ()
    statuses: tuple[TaskStatus, ...] = ()  # empty: open and in progress (all with changed_since)
    changed_since: datetime | None = None
    merchant_id: int | None = None


@dataclass(frozen=True)
class TaskRow:
    kind: TaskKind
    status: TaskStatus
    due_at: datetime
    updated_at: datetime
    merchant: Merchant | None
    work_order: WorkOrder | None = None
    case: Case | None = None
    task: InspectionTask | None = None

    @property
    def ref_id(self) -> int:
        ref = self.work_order if self.work_order is not None else self.task
        assert ref is not None
        return ref.id

    def key(self) -> tuple[Any, ...]:
        colour = self.merchant.risk_colour if self.merchant else None
        return urgency_key(self.kind, self.status, self.due_at, colour, self.ref_id)


def _colour_rank(column: Any) -> Any:
    return sql_case(*((column == colour, rank) for colour, rank in COLOUR_RANK.items()), else_=3)


def _work_orders(
    session: Session, squad_id: int, f: TaskFilter, statuses: Sequence[TaskStatus], n: int
) -> tuple[list[TaskRow], int]:
    states = [s for s, status in WORK_ORDER_STATUS.items() if status in statuses]
    closed_states = [s for s, status in WORK_ORDER_STATUS.items() if status in CLOSED]
    stmt = (
        select(WorkOrder, Case, Merchant)
        .join(Case, Case.id == WorkOrder.case_id)
        .outerjoin(Merchant, Merchant.id == Case.merchant_id)
        .where(WorkOrder.squad_id == squad_id, WorkOrder.state.in_(states))
    )
    if f.changed_since is not None:
        stmt = stmt.where(
            or_(WorkOrder.updated_at >= f.changed_since, Case.updated_at >= f.changed_since)
        )
    if f.merchant_id is not None:
        stmt = stmt.where(Case.merchant_id == f.merchant_id)
    count = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    ordered = stmt.order_by(
        WorkOrder.state.in_(closed_states),
        WorkOrder.deadline_at,
        _colour_rank(Merchant.risk_colour),
        WorkOrder.id,
    ).limit(n)
    rows = [
        TaskRow(
            kind=TaskKind.WORK_ORDER,
            status=WORK_ORDER_STATUS.get(order.state, TaskStatus.OPEN),
            due_at=order.deadline_at,
            updated_at=max(order.updated_at, case.updated_at),
            merchant=merchant,
            work_order=order,
            case=case,
        )
        for order, case, merchant in session.execute(ordered).all()
    ]
    return rows, int(count)


def _inspection_tasks(
    session: Session,
    squad_id: int,
    f: TaskFilter,
    kinds: Sequence[TaskKind],
    statuses: Sequence[TaskStatus],
    n: int,
) -> tuple[list[TaskRow], int]:
    stmt = (
        select(InspectionTask, Merchant)
        .join(Merchant, Merchant.id == InspectionTask.merchant_id)
        .where(
            InspectionTask.squad_id == squad_id,
            InspectionTask.kind.in_([k.value for k in kinds]),
            InspectionTask.status.in_([s.value for s in statuses]),
        )
    )
    if f.changed_since is not None:
        stmt = stmt.where(InspectionTask.updated_at >= f.changed_since)
    if f.merchant_id is not None:
        stmt = stmt.where(InspectionTask.merchant_id == f.merchant_id)
    count = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    kind_rank = sql_case(
        *((InspectionTask.kind == k.value, r) for k, r in KIND_RANK.items()), else_=9
    )
    ordered = stmt.order_by(
        InspectionTask.status.in_([s.value for s in CLOSED]),
        InspectionTask.due_at,
        kind_rank,
        _colour_rank(Merchant.risk_colour),
        InspectionTask.id,
    ).limit(n)
    rows = [
        TaskRow(
            kind=TaskKind(task.kind),
            status=TaskStatus(task.status),
            due_at=task.due_at,
            updated_at=task.updated_at,
            merchant=merchant,
            task=task,
        )
        for task, merchant in session.execute(ordered).all()
    ]
    return rows, int(count)


def list_tasks(
    session: Session, *, actor: Actor, filters: TaskFilter, offset: int, limit: int
) -> tuple[list[TaskRow], int]:
    """One page of the squad's tasks, most urgent first, and the total count."""
    squad = squad_of(session, actor)
    kinds = filters.kinds or tuple(TaskKind)
    statuses = filters.statuses or (
        tuple(TaskStatus) if filters.changed_since is not None else ACTIVE
    )
    n = offset + limit
    sources: list[list[TaskRow]] = []
    total = 0
    if TaskKind.WORK_ORDER in kinds:
        rows, count = _work_orders(session, squad.id, filters, statuses, n)
        sources.append(rows)
        total += count
    inspection_kinds = [k for k in kinds if k is not TaskKind.WORK_ORDER]
    if inspection_kinds:
        rows, count = _inspection_tasks(session, squad.id, filters, inspection_kinds, statuses, n)
        sources.append(rows)
        total += count
    merged = list(heapq.merge(*sources, key=TaskRow.key))
    return merged[offset:n], total


def work_order_row(session: Session, *, actor: Actor, work_order_id: int) -> TaskRow:
    """One work order of the actor's squad as a task (404 for another squad's)."""
    from streetorder.mobile_api.services.work_orders import get_order

    order, case = get_order(session, actor=actor, work_order_id=work_order_id)
    return TaskRow(
        kind=TaskKind.WORK_ORDER,
        status=WORK_ORDER_STATUS.get(order.state, TaskStatus.OPEN),
        due_at=order.deadline_at,
        updated_at=max(order.updated_at, case.updated_at),
        merchant=case.merchant,
        work_order=order,
        case=case,
    )
