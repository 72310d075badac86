"""The reporter's SMS when the case behind a report ends (closed or rejected), with consent.

A periodic sweep (``streetorder/server/jobs.py``) writes one SMS per consenting report into the
platform's SMS outbox (stage ``reporter-<report id>``), which delivers it with its retries; the
body names the request id and the outcome, never the shop's or anyone's personal data.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from streetorder.platform.db import Case, CitizenReport, SmsMessage
from streetorder.platform.domain.roles import SYSTEM
from streetorder.platform.domain.sms import LIFECYCLE, REPORTER_STAGE_PREFIX, SmsState
from streetorder.platform.domain.workflow import TERMINAL_VALUES
from streetorder.platform.open311 import catalogue
from streetorder.platform.open311.intake import public_id
from streetorder.platform.open311.status import status_notes
from streetorder.platform.services import lifecycle_audit
from streetorder.platform.services.rules import Rules


def closure_text(report: CitizenReport, case: Case, rules: Rules) -> str:
    service = catalogue.service(report.service_code)
    what = service.name if service else report.service_code
    outcome = status_notes(case.state, joined=False, case_number="")
    return (
        f"【{rules.sms_sign}】您好，您反映的{what}问题（受理编号{public_id(report.id)}）{outcome}。"
    )


def notify_closed_reports(
    session: Session, *, rules: Rules, now: datetime, limit: int = 200
) -> list[int]:
    """Queue the closure SMS of every consenting report whose case has ended; returns report ids."""
    stmt = (
        select(CitizenReport, Case)
        .join(Case, Case.id == CitizenReport.case_id)
        .where(
            CitizenReport.sms_consent.is_(True),
            CitizenReport.reporter_phone.is_not(None),
            CitizenReport.closure_sms_id.is_(None),
            Case.state.in_(TERMINAL_VALUES),
        )
        .order_by(CitizenReport.id)
        .limit(limit)
        .with_for_update(of=CitizenReport, skip_locked=True)
    )
    done = []
    for report, case in session.execute(stmt).all():
        assert report.reporter_phone is not None
        message = SmsMessage(
            case_id=case.id, stage=f"{REPORTER_STAGE_PREFIX}{report.id}",
            mobile=report.reporter_phone, recipient="", body=closure_text(report, case, rules),
            provider=rules.sms_provider, created_at=now, next_attempt_at=now,
        )  # fmt: skip
        record = LIFECYCLE.start(message, SmsState.QUEUED, SYSTEM, now=now)
        session.add(message)
        session.flush()
        lifecycle_audit.write(session, record, subject_id=message.id, case_id=case.id)
        report.closure_sms_id = message.id
        done.append(report.id)
    return done
