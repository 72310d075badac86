"""ORM rows to response bodies (the officer's view of work orders, tasks and photos)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from streetorder.mobile_api.api import schemas as s
from streetorder.mobile_api.db import Photo
from streetorder.mobile_api.domain.urgency import CLOSED, TaskKind
from streetorder.mobile_api.services.tasks import TaskRow
from streetorder.platform.db import Case, EvidenceFile, Merchant, WorkOrder
from streetorder.platform.domain.roles import Role
from streetorder.platform.domain.work_orders import LIFECYCLE as ORDER_LIFECYCLE
from streetorder.platform.domain.work_orders import OrderEvent
from streetorder.platform.domain.workflow import TRANSITIONS, Event, Workflow
from streetorder.platform.services import case_reads

PREFIX = "/api/mobile/v1"
#: The buttons on a work order: each needs its order event and, if named, its case event to be
#: allowed now for the viewer's role (the two lifecycles decide; nothing is hard-coded here).
WORK_ORDER_BUTTONS: tuple[tuple[str, OrderEvent, Event | None], ...] = (
    ("acknowledge", OrderEvent.ACKNOWLEDGE, None),
    ("order_to_correct", OrderEvent.RECORD, None),
    ("add_photo", OrderEvent.RECORD, None),
    ("complete", OrderEvent.COMPLETE, Event.RECTIFY),
    ("extension", OrderEvent.RESCHEDULE, Event.EXTEND),
    ("refusal", OrderEvent.RECORD, None),
)
#: A case in one of these states waits for verification: the before/after view is offered.
AWAITS_VERIFICATION = TRANSITIONS[Event.VERIFY].sources


def work_order_actions(
    order: WorkOrder, case: Case, role: Role, workflow: Workflow, now: datetime
) -> list[str]:
    """The buttons of ``order`` for ``role`` now, from the allowed events of both lifecycles."""
    if case.state in AWAITS_VERIFICATION:
        return ["before_after"]
    order_events = set(
        ORDER_LIFECYCLE.allowed(order.state, role, order, {"case_state": case.state})
    )
    case_events = set(workflow.allowed_events(case, role, now=now))
    return [
        button
        for button, order_event, case_event in WORK_ORDER_BUTTONS
        if order_event in order_events and (case_event is None or case_event in case_events)
    ]


def file_url(file_id: int) -> str:
    return f"{PREFIX}/files/{file_id}"


def photo_url(photo_id: int) -> str:
    return f"{PREFIX}/photos/{photo_id}/content"


def file_ref(record: EvidenceFile) -> s.FileRef:
    return s.FileRef(
        id=record.id,
        kind=record.kind,
        content_type=record.content_type,
        sha256=record.sha256,
        url=file_url(record.id),
    )


def photo_out(photo: Photo) -> s.PhotoOut:
    out = s.PhotoOut.model_validate(photo)
    return out.model_copy(update={"url": photo_url(photo.id)})


def merchant_brief(merchant: Merchant | None) -> s.MerchantBrief | None:
    return s.MerchantBrief.model_validate(merchant) if merchant is not None else None


def alert_evidence(session: Session, case_ids: list[int]) -> dict[int, list[s.FileRef]]:
    """The alert evidence of several cases in one query (for a page of tasks)."""
    out: dict[int, list[s.FileRef]] = {case_id: [] for case_id in case_ids}
    for case_id, record in case_reads.alert_files_of_cases(session, case_ids=case_ids):
        out[case_id].append(file_ref(record))
    return out


def task_out(
    session: Session,
    row: TaskRow,
    now: datetime,
    evidence_by_case: dict[int, list[s.FileRef]] | None = None,
    *,
    role: Role = Role.OFFICER,
    workflow: Workflow | None = None,
) -> s.TaskOut:
    left = int((row.due_at - now).total_seconds())
    overdue = left < 0 and row.status not in CLOSED
    merchant = merchant_brief(row.merchant)
    common = dict(
        kind=row.kind,
        ref_id=row.ref_id,
        status=row.status,
        due_at=row.due_at,
        time_left_seconds=left,
        overdue=overdue,
        updated_at=row.updated_at,
        merchant=merchant,
        id=f"{row.kind.value}:{row.ref_id}",
    )
    if row.kind is TaskKind.WORK_ORDER:
        order, case = row.work_order, row.case
        assert order is not None and case is not None
        if evidence_by_case is None:
            evidence_by_case = alert_evidence(session, [case.id])
        before = evidence_by_case.get(case.id, [])
        brief = s.WorkOrderBrief(
            id=order.id,
            round=order.round,
            state=order.state,
            instructions=order.instructions,
            deadline_at=order.deadline_at,
            acknowledged_at=order.acknowledged_at,
            case_id=case.id,
            case_number=case.number,
            case_state=case.state,
            track=case.track,
            discovered_at=case.discovered_at,
            evidence=before,
        )
        actions = work_order_actions(order, case, role, workflow or Workflow(), now)
        return s.TaskOut(
            **common,
            title=order.instructions,
            place=case.place or (row.merchant.address if row.merchant else ""),
            work_order=brief,
            actions=actions,
        )
    task = row.task
    assert task is not None
    special = s.SpecialBrief.model_validate(task.special) if task.special else None
    title = special.title if special else f"例行检查 ({task.colour_at_creation})"
    return s.TaskOut(
        **common,
        title=title,
        place=row.merchant.address if row.merchant else "",
        special=special,
        actions=[] if row.status in CLOSED else ["inspect"],
    )
