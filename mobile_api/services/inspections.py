"""Inspections (检查) and special inspections (专项检查)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from streetorder.i18n import Reason
from streetorder.mobile_api.db import Inspection, InspectionTask, Photo, SpecialInspection
from streetorder.mobile_api.domain.checklist import Answer, ChecklistError, judge
from streetorder.mobile_api.domain.risk import ColourChange, ColourRules
from streetorder.mobile_api.domain.urgency import TaskKind, TaskStatus
from streetorder.mobile_api.services.photos import claim_inspection_photos
from streetorder.mobile_api.services.risk import apply_confirmed_cases, apply_inspection
from streetorder.mobile_api.services.scope import (
    in_squad,
    merchant_in_squad,
    require_leader,
    squad_of,
)
from streetorder.mobile_api.settings import ChecklistItem
from streetorder.platform.db import Merchant
from streetorder.platform.domain.errors import Conflict, InvalidInput
from streetorder.platform.domain.roles import Actor
from streetorder.platform.services.paging import page

OPEN = (TaskStatus.OPEN.value, TaskStatus.IN_PROGRESS.value)


@dataclass(frozen=True)
class Recorded:
    inspection: Inspection
    change: ColourChange | None
    closed_task_ids: list[int]


def record_inspection(
    session: Session,
    *,
    actor: Actor,
    merchant_id: int | None,
    task_id: int | None,
    answers: Mapping[str, Answer],
    notes: str,
    photo_ids: Sequence[int],
    checklist: Sequence[ChecklistItem],
    colours: ColourRules,
    now: datetime,
) -> Recorded:
    """Judge the checklist, store the inspection, move the colour, close the shop's open tasks."""
    assert actor.user_id is not None and actor.squad_id is not None
    task = None
    if task_id is not None:
        row = session.get(InspectionTask, task_id)
        task = in_squad(row, row.squad_id if row else None, actor, "task", task_id)
        if task.status not in OPEN:
            raise Conflict(Reason("officer.task_done", task=task_id, status=task.status))
        if merchant_id is not None and merchant_id != task.merchant_id:
            raise InvalidInput(
                Reason(
                    "officer.task_other_shop",
                    task=task_id,
                    shop=task.merchant_id,
                    given=merchant_id,
                )
            )
        merchant_id = task.merchant_id
    if merchant_id is None:
        raise InvalidInput(Reason("officer.shop_or_task"))
    merchant = merchant_in_squad(session, actor, merchant_id)
    try:
        result = judge(checklist, answers)
    except ChecklistError as exc:
        raise InvalidInput(exc.args[0]) from None  # the checklist's reason, with its key
    apply_confirmed_cases(session, rules=colours, now=now, merchant_id=merchant.id)
    before = merchant.risk_colour
    inspection = Inspection(
        merchant_id=merchant.id,
        task_id=task.id if task else None,
        squad_id=actor.squad_id,
        officer_id=actor.user_id,
        inspected_at=now,
        checklist={k: Answer(v).value for k, v in answers.items()},
        result=result.value,
        notes=notes,
        colour_before=before,
        colour_after=before,
        created_at=now,
    )
    session.add(inspection)
    session.flush()
    claim_inspection_photos(
        session, actor=actor, photo_ids=list(photo_ids), inspection_id=inspection.id
    )
    change = apply_inspection(
        session,
        merchant=merchant,
        result=result,
        inspection_id=inspection.id,
        rules=colours,
        now=now,
        actor_id=actor.user_id,
    )
    inspection.colour_after = merchant.risk_colour
    closed = []
    for open_task in session.scalars(
        select(InspectionTask).where(
            InspectionTask.merchant_id == merchant.id,
            InspectionTask.status.in_(OPEN),
        )
    ):
        open_task.status = TaskStatus.DONE.value
        open_task.open_slot = None
        open_task.done_at = open_task.updated_at = now
        closed.append(open_task.id)
    session.flush()
    return Recorded(inspection, change, closed)


def create_special(
    session: Session,
    *,
    actor: Actor,
    title: str,
    description: str,
    due_at: datetime,
    merchant_ids: Sequence[int],
    area: str | None,
    now: datetime,
) -> tuple[SpecialInspection, list[InspectionTask]]:
    """A squad leader's special inspection for listed shops and/or every shop whose address
    contains ``area`` (e.g. a road name), within the squad's street."""
    require_leader(actor)
    squad = squad_of(session, actor)
    if due_at <= now:
        raise InvalidInput(Reason("officer.due_in_future"))
    if not merchant_ids and not (area and area.strip()):
        raise InvalidInput(Reason("officer.shops_or_area"))
    chosen: dict[int, Merchant] = {}
    for merchant_id in merchant_ids:
        chosen[merchant_id] = merchant_in_squad(session, actor, merchant_id)
    if area and area.strip():
        needle = area.strip().lower()
        matched = session.scalars(
            select(Merchant).where(
                Merchant.street_id == squad.street_id,
                func.lower(Merchant.address).contains(needle, autoescape=True),
            )
        ).all()
        if not matched:
            raise InvalidInput(Reason("officer.no_shop_in_area", area=repr(area)))
        for merchant in matched:
            chosen.setdefault(merchant.id, merchant)
    special = SpecialInspection(
        squad_id=squad.id,
        title=title,
        description=description,
        area=area.strip() if area else None,
        due_at=due_at,
        created_by=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(special)
    session.flush()
    tasks = [
        InspectionTask(
            kind=TaskKind.SPECIAL.value,
            merchant_id=merchant.id,
            squad_id=squad.id,
            special_id=special.id,
            status=TaskStatus.OPEN.value,
            due_at=due_at,
            colour_at_creation=merchant.risk_colour,
            created_at=now,
            updated_at=now,
        )
        for merchant in sorted(chosen.values(), key=lambda m: m.id)
    ]
    session.add_all(tasks)
    session.flush()
    return special, tasks


# --- reads --------------------------------------------------------------------------------

#: special inspections a squad's list shows (newest due first)
SPECIALS_LISTED = 200


def list_for_merchant(
    session: Session, *, merchant_id: int, offset: int, limit: int
) -> tuple[list[Inspection], int, dict[int, list[int]]]:
    """A shop's inspections newest first, their total, and each one's photo ids."""
    stmt = (
        select(Inspection)
        .filter_by(merchant_id=merchant_id)
        .order_by(Inspection.inspected_at.desc(), Inspection.id.desc())
    )
    rows, count = page(session, stmt, offset=offset, limit=limit)
    photos: dict[int, list[int]] = {}
    if rows:
        ids = select(Photo.id, Photo.inspection_id).where(
            Photo.inspection_id.in_([r.id for r in rows])
        )
        for photo_id, inspection_id in session.execute(ids):
            photos.setdefault(inspection_id, []).append(photo_id)
    return rows, count, photos


def specials_of_squad(
    session: Session, *, squad_id: int | None
) -> list[tuple[SpecialInspection, list[InspectionTask]]]:
    """The squad's special inspections, newest due first, each with its tasks."""
    specials = session.scalars(
        select(SpecialInspection)
        .filter_by(squad_id=squad_id)
        .order_by(SpecialInspection.due_at.desc(), SpecialInspection.id.desc())
        .limit(SPECIALS_LISTED)
    ).all()
    tasks: dict[int, list[InspectionTask]] = {}
    if specials:
        stmt = select(InspectionTask).where(
            InspectionTask.special_id.in_([sp.id for sp in specials])
        )
        for task in session.scalars(stmt):
            tasks.setdefault(task.special_id or 0, []).append(task)
    return [(sp, tasks.get(sp.id, [])) for sp in specials]
