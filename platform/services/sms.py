"""SMS records: one message per case and stage, delivered with retries and backoff.

Every state change goes through the lifecycle (``domain/sms.py``), with its audit row in
``lifecycle_events`` in the same transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from streetorder.platform.db import Case, Database, SmsMessage
from streetorder.platform.domain.errors import InvalidInput, NotFound
from streetorder.platform.domain.identifiers import normalise_mobile
from streetorder.platform.domain.roles import SYSTEM, Actor
from streetorder.platform.domain.sms import (
    DUE_STATES,
    LIFECYCLE,
    REPORTER_STAGE_PREFIX,
    SmsEvent,
    SmsState,
)
from streetorder.platform.domain.workflow import format_local
from streetorder.platform.services import lifecycle_audit
from streetorder.platform.services.rules import Rules
from streetorder.platform.sms.providers import SmsProvider, SmsSendError
from streetorder.platform.sms.templates import render

log = logging.getLogger(__name__)
STATES = tuple(SmsState)
SEND_LEASE = timedelta(minutes=2)


def evidence_link(case: Case, rules: Rules) -> str:
    """A public, signed link where the merchant sees the evidence of the case."""
    sig = rules.signer.sign_link(f"case:{case.id}")
    return f"{rules.public_url}/api/v1/public/cases/{case.id}/evidence?sig={sig}"


def enqueue(
    session: Session, *, case: Case, stage: str, template: str, rules: Rules, now: datetime,
    deadline: datetime | None = None, amount_cents: int | None = None,
) -> SmsMessage:  # fmt: skip
    """Write the message for ``(case, stage)`` once; a second call returns the first message."""
    existing = session.scalars(select(SmsMessage).filter_by(case_id=case.id, stage=stage)).first()
    if existing is not None:
        return existing
    merchant = case.merchant
    values = {
        "sign": rules.sms_sign,
        "shop": merchant.name if merchant else (case.shop_id or ""),
        "time": format_local(case.discovered_at, rules.tz),
        "place": case.place or (merchant.address if merchant else ""),
        "deadline": format_local(deadline, rules.tz) if deadline else "",
        "case_number": case.number,
        "link": evidence_link(case, rules),
        "amount": f"{(amount_cents or 0) / 100:.2f}",
    }
    message = SmsMessage(
        case_id=case.id, stage=stage, body=render(template, **values), provider=rules.sms_provider,
        recipient=merchant.responsible_person if merchant else "", created_at=now,
        mobile=(merchant.mobile if merchant else None) or "",
    )  # fmt: skip
    try:
        message.mobile = normalise_mobile(message.mobile)
        first, message.next_attempt_at = SmsState.QUEUED, now
    except InvalidInput as exc:
        first, message.last_error = SmsState.INVALID_NUMBER, str(exc)
    record = LIFECYCLE.start(message, first, SYSTEM, now=now, note=message.last_error or "")
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:  # another transaction wrote this stage first
        return session.scalars(select(SmsMessage).filter_by(case_id=case.id, stage=stage)).one()
    _audit(session, message, record)
    return message


def _audit(session: Session, message: SmsMessage, record) -> None:
    lifecycle_audit.write(session, record, subject_id=message.id, case_id=message.case_id)


def _apply(
    session: Session, message: SmsMessage, event: SmsEvent, *, now: datetime,
    actor: Actor = SYSTEM, note: str = "", facts: dict | None = None,
) -> None:  # fmt: skip
    record = LIFECYCLE.apply(message, event, actor, now=now, note=note, facts=facts)
    _audit(session, message, record)


def list_messages(
    session: Session, *, case_id: int | None = None, state: str | None = None,
    offset: int = 0, limit: int = 100, squad_id: int | None = None,
) -> tuple[list[SmsMessage], int]:  # fmt: skip
    """Newest first; with ``squad_id`` only the messages of that squad's cases."""
    from streetorder.platform.services.paging import page

    stmt = select(SmsMessage).order_by(SmsMessage.id.desc())
    if squad_id is not None:  # a squad sees its cases' messages, never to a citizen reporter
        stmt = stmt.where(SmsMessage.case_id.in_(select(Case.id).where(Case.squad_id == squad_id)))
        stmt = stmt.where(SmsMessage.stage.not_like(f"{REPORTER_STAGE_PREFIX}%"))
    if case_id is not None:
        stmt = stmt.filter_by(case_id=case_id)
    if state:
        stmt = stmt.filter_by(state=state)
    return page(session, stmt, offset=offset, limit=limit)


def record_delivery(
    session: Session, *, message_id: int, delivered: bool, now: datetime, error: str = "",
    actor: Actor = SYSTEM,
) -> SmsMessage:  # fmt: skip
    """A delivery report from the gateway (or the console, for the outbox).

    Raises InvalidTransition (409) for a message not sent yet.
    """
    message = session.get(SmsMessage, message_id)
    if message is None:
        raise NotFound(f"SMS {message_id} not found")
    event = SmsEvent.CONFIRM_DELIVERY if delivered else SmsEvent.REPORT_FAILURE
    _apply(session, message, event, now=now, actor=actor, note=error)
    message.delivered_at = now if delivered else None
    message.last_error = None if delivered else (error or "not delivered")
    return message


def _claim(db: Database, now: datetime, limit: int) -> list[SmsMessage]:
    with db.session() as session:
        stmt = (
            select(SmsMessage)
            .where(SmsMessage.state.in_([s.value for s in DUE_STATES]))
            .where(or_(SmsMessage.next_attempt_at.is_(None), SmsMessage.next_attempt_at <= now))
            .order_by(SmsMessage.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claimed = list(session.scalars(stmt))
        for message in claimed:  # a lease: a crashed sender's messages come back later
            _apply(session, message, SmsEvent.CLAIM, now=now)
            message.next_attempt_at = now + SEND_LEASE
        return claimed


def deliver_due(
    db: Database, *, provider: SmsProvider, rules: Rules, now: datetime, limit: int = 100
) -> int:
    """Send messages that are due; failures are retried with exponential backoff. Returns sent."""
    sent = 0
    for message in _claim(db, now, limit):
        provider_id: str | None = None
        error: str | None = None
        retryable = False
        try:
            provider_id = provider.send(
                mobile=message.mobile, text=message.body, reference=f"sms-{message.id}"
            )
        except SmsSendError as exc:
            error, retryable = str(exc), exc.retryable
        with db.session() as session:
            row = session.get(SmsMessage, message.id, with_for_update=True)
            assert row is not None
            row.attempts += 1
            row.provider = provider.name
            attempts = {"attempts": row.attempts, "max_attempts": rules.sms_max_attempts}
            if error is None:
                _apply(session, row, SmsEvent.ACCEPT, now=now)
                row.sent_at, row.provider_message_id = now, provider_id
                row.next_attempt_at, row.last_error = None, None
                sent += 1
            elif (
                retryable
                and LIFECYCLE.refusal(row.state, SmsEvent.RETRY, SYSTEM.role, row, attempts) is None
            ):
                delay = rules.sms_backoff_seconds * rules.sms_backoff_factor ** (row.attempts - 1)
                _apply(session, row, SmsEvent.RETRY, now=now, note=error, facts=attempts)
                row.last_error = error
                row.next_attempt_at = now + timedelta(seconds=delay)
                log.warning(
                    "SMS %s attempt %d failed, retry in %.0fs: %s",
                    row.id,
                    row.attempts,
                    delay,
                    error,
                )
            else:
                _apply(session, row, SmsEvent.FAIL, now=now, note=error)
                row.last_error, row.next_attempt_at = error, None
                log.error(
                    "SMS %s failed for good after %d attempts: %s", row.id, row.attempts, error
                )
    return sent
