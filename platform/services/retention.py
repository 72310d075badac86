"""Retention: a configurable period after a case is closed (or rejected), its evidence files
and the personal data around it are deleted, and one audit record says what went.

Deleted: every evidence file of the case (the edge's frames and clip, case photos) and its
public renditions; in SMS records the merchant's phone number, name and the message text (which
holds the signed evidence link); citizen reporters' names, e-mail, phone and device ids. Kept:
the case and its history, the files' rows with their sha256 (what existed, for the record),
the SMS records' states and times. The merchant registry is live data, not a case's, and stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from streetorder.platform.db import Case, SmsMessage
from streetorder.platform.db.audit import RetentionRecord
from streetorder.platform.db.open311 import CitizenReport
from streetorder.platform.domain.workflow import TERMINAL_VALUES
from streetorder.platform.services import evidence, public_evidence
from streetorder.platform.storage import EvidenceStore

REDACTED = "[已按保留期限删除]"  # "deleted after the retention period"


@dataclass(frozen=True)
class RetentionPolicy:
    days_after_closure: float
    batch_cases: int = 200

    @property
    def period(self) -> timedelta:
        return timedelta(days=self.days_after_closure)


def due_cases(session: Session, *, policy: RetentionPolicy, now: datetime) -> list[Case]:
    """Closed or rejected at least the period ago, and not purged yet (oldest first)."""
    purged = exists().where(RetentionRecord.case_id == Case.id)
    stmt = (
        select(Case)
        .where(
            Case.state.in_(TERMINAL_VALUES),
            Case.closed_at.is_not(None),
            Case.closed_at <= now - policy.period,
            ~purged,
        )
        .order_by(Case.closed_at, Case.id)
        .limit(policy.batch_cases)
    )
    return list(session.scalars(stmt))


def purge_case(
    session: Session, *, store: EvidenceStore, case: Case, policy: RetentionPolicy, now: datetime
) -> RetentionRecord:
    """Delete one case's files and personal data; returns its audit record (in ``session``)."""
    assert case.closed_at is not None
    deleted = []
    for record in evidence.case_files(session, case=case):
        store.delete(public_evidence.rendition_key(record))
        if store.delete(record.storage_key):
            deleted.append(
                {"file_id": record.id, "kind": record.kind, "sha256": record.sha256,
                 "size_bytes": record.size_bytes}
            )  # fmt: skip
    sms = session.execute(
        update(SmsMessage)
        .where(SmsMessage.case_id == case.id)
        .values(mobile="", recipient="", body=REDACTED)
    ).rowcount
    reports = session.execute(
        update(CitizenReport)
        .where(CitizenReport.case_id == case.id)
        .values(
            reporter_first_name=None,
            reporter_last_name=None,
            reporter_email=None,
            reporter_phone=None,
            device_id=None,
            account_id=None,
        )  # fmt: skip
    ).rowcount
    audit = RetentionRecord(
        case_id=case.id, purged_at=now, closed_at=case.closed_at,
        period_days=policy.days_after_closure, files_deleted=len(deleted),
        bytes_deleted=sum(f["size_bytes"] for f in deleted), files=deleted,
        sms_redacted=sms or 0, reports_redacted=reports or 0,
    )  # fmt: skip
    session.add(audit)
    session.flush()
    return audit


def purge_due(
    session: Session, *, store: EvidenceStore, policy: RetentionPolicy, now: datetime
) -> list[RetentionRecord]:
    """One run of the retention job: every due case (up to the batch), each with its record."""
    return [
        purge_case(session, store=store, case=case, policy=policy, now=now)
        for case in due_cases(session, policy=policy, now=now)
    ]


def purged_at(session: Session, *, case_id: int) -> datetime | None:
    """When the case's files and personal data were deleted (None: not yet)."""
    return session.scalar(select(RetentionRecord.purged_at).filter_by(case_id=case_id))
