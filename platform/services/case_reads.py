"""What a case page shows beside the case: its alerts, SMS, work orders, photos, statistics.

Reads only, for the JSON API, the console and the officer app alike; changes go through
``services/cases.py`` and the workflow.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session, selectinload

from streetorder.platform.db import (
    AlertRecord,
    Camera,
    Case,
    EdgeNode,
    EvidenceFile,
    SmsMessage,
    WorkOrder,
)
from streetorder.platform.db.cases import case_number, yellow_light
from streetorder.platform.domain.sms import REPORTER_STAGE_PREFIX
from streetorder.platform.domain.workflow import TERMINAL_VALUES, State
from streetorder.platform.open311.photos import KIND as CITIZEN_PHOTO

#: closed cases the average handling time is taken over (the newest ones)
HANDLING_SAMPLE = 10000


def alerts_of(session: Session, *, case_id: int) -> list[AlertRecord]:
    """The case's alerts, first received first."""
    return list(
        session.scalars(select(AlertRecord).filter_by(case_id=case_id).order_by(AlertRecord.id))
    )


def first_alert(session: Session, *, case: Case) -> AlertRecord | None:
    """The alert that opened the case (else its earliest)."""
    if case.alert_id:
        alert = session.scalars(select(AlertRecord).filter_by(alert_id=case.alert_id)).first()
        if alert is not None:
            return alert
    return session.scalars(
        select(AlertRecord).filter_by(case_id=case.id).order_by(AlertRecord.id)
    ).first()


def get_alert(session: Session, *, alert_id: str) -> AlertRecord | None:
    return session.scalars(select(AlertRecord).filter_by(alert_id=alert_id)).first()


def case_id_of_alert(session: Session, *, alert_id: str) -> int | None:
    return session.scalar(select(AlertRecord.case_id).filter_by(alert_id=alert_id))


def alerts_query(*, case_id: int | None = None, squad_id: int | None = None) -> Any:
    """Alerts newest first, optionally of one case and/or of one squad's cases (for
    :func:`paging.page`)."""
    stmt = select(AlertRecord).order_by(AlertRecord.id.desc())
    if squad_id is not None:
        stmt = stmt.where(AlertRecord.case_id.in_(select(Case.id).where(Case.squad_id == squad_id)))
    return stmt if case_id is None else stmt.filter_by(case_id=case_id)


def sms_of(session: Session, *, case_id: int) -> list[SmsMessage]:
    """The case's messages to the merchant (a citizen reporter's stay in the SMS outbox)."""
    stmt = (
        select(SmsMessage)
        .filter_by(case_id=case_id)
        .where(SmsMessage.stage.not_like(f"{REPORTER_STAGE_PREFIX}%"))
        .order_by(SmsMessage.id)
    )
    return list(session.scalars(stmt))


def orders_of(session: Session, *, case_id: int) -> list[WorkOrder]:
    """The case's work orders by round, with their squads loaded."""
    stmt = (
        select(WorkOrder)
        .filter_by(case_id=case_id)
        .options(selectinload(WorkOrder.squad))
        .order_by(WorkOrder.round)
    )
    return list(session.scalars(stmt))


def officer_photos(session: Session, *, case_id: int) -> list[EvidenceFile]:
    """Photos the officers uploaded for the case (not the edge's alert evidence, not the
    residents' report photos, which show the problem, not its correction)."""
    stmt = (
        select(EvidenceFile)
        .where(EvidenceFile.case_id == case_id, EvidenceFile.alert_id.is_(None))
        .where(EvidenceFile.kind != CITIZEN_PHOTO)
        .order_by(EvidenceFile.id)
    )
    return list(session.scalars(stmt))


def alert_file(session: Session, *, alert_id: str, filename: str) -> EvidenceFile | None:
    return session.scalars(
        select(EvidenceFile).filter_by(alert_id=alert_id, filename=filename)
    ).first()


def stored_filenames(session: Session, *, alert_id: str) -> set[str]:
    """Names of the alert's evidence files that have arrived."""
    return set(session.scalars(select(EvidenceFile.filename).filter_by(alert_id=alert_id)))


def merchant_cases(session: Session, *, case: Case, limit: int) -> list[Case]:
    """The shop's other cases, newest first."""
    if case.merchant_id is None:
        return []
    stmt = (
        select(Case)
        .where(Case.merchant_id == case.merchant_id, Case.id != case.id)
        .order_by(Case.discovered_at.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def camera_of(session: Session, *, case: Case) -> Camera | None:
    """The registered camera the case was seen by, if any."""
    if not case.camera_code:
        return None
    return session.scalars(
        select(Camera)
        .join(EdgeNode, EdgeNode.id == Camera.node_id)
        .where(Camera.code == case.camera_code, EdgeNode.code == case.node_code)
    ).first()


def numbers(session: Session, *, case_ids: set[int]) -> dict[int, str]:
    """Case numbers by id."""
    if not case_ids:
        return {}
    found = session.scalars(select(Case.id).where(Case.id.in_(case_ids)))
    return {case_id: case_number(case_id) for case_id in found}


def zone_has_cases(session: Session, *, zone_id: int) -> bool:
    return session.scalar(select(Case.id).filter_by(zone_id=zone_id).limit(1)) is not None


def stats(session: Session, *, now: datetime, squad_id: int | None = None) -> dict[str, Any]:
    """Counts by state, track and source; open, overdue and urged cases; average handling
    (of one squad's cases when ``squad_id`` is given)."""
    mine = true() if squad_id is None else Case.squad_id == squad_id

    def grouped(column) -> dict[str, int]:
        rows = session.execute(select(column, func.count()).where(mine).group_by(column))
        return {str(k): int(v) for k, v in rows if k is not None}

    open_cases = Case.state.not_in(TERMINAL_VALUES)
    overdue = session.scalar(select(func.count()).select_from(Case).where(mine, yellow_light(now)))
    urged = session.scalar(select(func.count()).select_from(Case).where(mine, Case.urge_count > 0))
    n_open = session.scalar(select(func.count()).select_from(Case).where(mine, open_cases))
    recent_closed = (
        select(Case.discovered_at, Case.closed_at)
        .where(mine, Case.state == State.CLOSED.value)
        .order_by(Case.closed_at.desc())
        .limit(HANDLING_SAMPLE)
    )
    closed = list(session.execute(recent_closed))
    average = sum((c - d).total_seconds() for d, c in closed) / len(closed) if closed else None
    return {
        "by_state": grouped(Case.state), "by_track": grouped(Case.track),
        "by_source": grouped(Case.source), "overdue": int(overdue or 0), "urged": int(urged or 0),
        "open": int(n_open or 0), "average_handling_seconds_closed": average,
    }  # fmt: skip


def alert_files_of_cases(
    session: Session, *, case_ids: list[int]
) -> list[tuple[int, EvidenceFile]]:
    """``(case id, file)`` for the alert evidence of several cases in one query, by file id."""
    if not case_ids:
        return []
    stmt = (
        select(AlertRecord.case_id, EvidenceFile)
        .join(EvidenceFile, EvidenceFile.alert_id == AlertRecord.alert_id)
        .where(AlertRecord.case_id.in_(case_ids))
        .order_by(EvidenceFile.id)
    )
    return [(case_id, record) for case_id, record in session.execute(stmt)]
