"""The task list: three kinds, most urgent first, paginated, with changes since a time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from streetorder.mobile_api.api import schemas as s
from streetorder.mobile_api.api.deps import Ctx, CurrentActor
from streetorder.mobile_api.api.present import alert_evidence, task_out
from streetorder.mobile_api.domain.urgency import TaskKind, TaskStatus
from streetorder.mobile_api.services.tasks import TaskFilter, list_tasks

router = APIRouter(prefix="/tasks", tags=["tasks"])


@router.get("", response_model=s.TaskPage, summary="My squad's tasks, most urgent first")
def tasks(
    actor: CurrentActor,
    ctx: Ctx,
    kind: Annotated[list[TaskKind] | None, Query(description="Repeat to combine.")] = None,
    status: Annotated[
        list[TaskStatus] | None,
        Query(description="Default: open and in_progress (every status with changed_since)."),
    ] = None,
    changed_since: Annotated[
        s.QueryMoment | None, Query(description="Only tasks changed at or after this time.")
    ] = None,
    merchant_id: Annotated[int | None, Query(ge=1, le=s.MAX_ID)] = None,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> s.TaskPage:
    limit = min(limit, ctx.mobile.page_size_max)
    now = ctx.now()
    filters = TaskFilter(
        kinds=tuple(kind or ()),
        statuses=tuple(status or ()),
        changed_since=changed_since,
        merchant_id=merchant_id,
    )
    with ctx.db.session() as session:
        rows, count = list_tasks(session, actor=actor, filters=filters, offset=offset, limit=limit)
        evidence = alert_evidence(session, [r.case.id for r in rows if r.case is not None])
        data = [
            task_out(session, row, now, evidence, role=actor.role, workflow=ctx.rules.workflow)
            for row in rows
        ]
    return s.TaskPage(data=data, count=count, offset=offset, limit=limit, server_time=now)
