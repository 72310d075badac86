"""What an operator's monitoring reads from the database: open cases, yellow lights, the SMS
outbox and how long alerts took from the edge to the platform."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from streetorder.platform.db import AlertRecord, Case, SmsMessage
from streetorder.platform.db.cases import OPEN_CASE_SQL, yellow_light

LAG_SAMPLE = 200  # the newest alerts the ingest lag is read from


@dataclass(frozen=True)
class OperationsSnapshot:
    open_cases: dict[str, int]
    yellow_lights: int
    sms: dict[str, int]
    sms_oldest_queued_seconds: float
    ingest_lag_seconds: float | None  # the newest alerts' worst edge-to-platform delay


def snapshot(session: Session, *, now: datetime, window: timedelta) -> OperationsSnapshot:
    """Cheap at a million cases: open-case counts use the partial index of open cases."""
    open_cases = dict(
        session.execute(
            select(Case.state, func.count()).where(text(OPEN_CASE_SQL)).group_by(Case.state)
        ).all()
    )
    yellow = session.scalar(select(func.count()).select_from(Case).where(yellow_light(now)))
    sms = dict(
        session.execute(select(SmsMessage.state, func.count()).group_by(SmsMessage.state)).all()
    )
    oldest = session.scalar(
        select(func.min(SmsMessage.created_at)).where(SmsMessage.state == "queued")
    )
    recent = session.execute(
        select(AlertRecord.created_at, AlertRecord.received_at)
        .where(AlertRecord.received_at >= now - window)
        .order_by(AlertRecord.id.desc())
        .limit(LAG_SAMPLE)
    ).all()
    lags = [(received - created).total_seconds() for created, received in recent]
    return OperationsSnapshot(
        open_cases={str(k): int(v) for k, v in open_cases.items()},
        yellow_lights=int(yellow or 0),
        sms={str(k): int(v) for k, v in sms.items()},
        sms_oldest_queued_seconds=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        ingest_lag_seconds=max(0.0, max(lags)) if lags else None,
    )
