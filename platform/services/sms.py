"""SMS records: one message per case and stage, delivered with retries and backoff."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from streetorder.platform.db import Case, Database, SmsMessage
from streetorder.platform.domain.errors import InvalidInput, NotFound
from streetorder.platform.domain.identifiers import normalise_mobile
from streetorder.platform.domain.workflow import format_local
from streetorder.platform.services.rules import Rules
from streetorder.platform.sms.providers import SmsProvider, SmsSendError
from streetorder.platform.sms.templates import render

log = logging.getLogger(__name__)
STATES = ("queued", "retrying", "sending", "sent", "delivered", "failed", "invalid_number")
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
        message.state, message.next_attempt_at = "queued", now
    except InvalidInput as exc:
        message.state, message.last_error = "invalid_number", str(exc)
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:  # another transaction wrote this stage first
        return session.scalars(select(SmsMessage).filter_by(case_id=case.id, stage=stage)).one()
    return message


def list_messages(
    session: Session, *, case_id: int | None = None, state: str | None = None,
    offset: int = 0, limit: int = 100,
) -> tuple[list[SmsMessage], int]:  # fmt: skip
    from streetorder.platform.services.registry import _page

    stmt = select(SmsMessage).order_by(SmsMessage.id.desc())
    if case_id is not None:
        stmt = stmt.filter_by(case_id=case_id)
    if state:
        stmt = stmt.filter_by(state=state)
    return _page(session, stmt, offset=offset, limit=limit)


def record_delivery(
    session: Session, *, message_id: int, delivered: bool, now: datetime, error: str = ""
) -> SmsMessage:
    """A delivery report from the gateway (or the console, for the outbox)."""
    message = session.get(SmsMessage, message_id)
    if message is None:
        raise NotFound(f"SMS {message_id} not found")
    if message.state not in ("sent", "delivered", "failed"):
        raise InvalidInput(f"SMS {message_id} is {message.state}, not sent yet")
    message.state = "delivered" if delivered else "failed"
    message.delivered_at = now if delivered else None
    message.last_error = None if delivered else (error or "not delivered")
    return message


def _claim(db: Database, now: datetime, limit: int) -> list[SmsMessage]:
    with db.session() as session:
        stmt = (
            select(SmsMessage)
            .where(SmsMessage.state.in_(("queued", "retrying", "sending")))
            .where(or_(SmsMessage.next_attempt_at.is_(None), SmsMessage.next_attempt_at <= now))
            .order_by(SmsMessage.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claimed = list(session.scalars(stmt))
        for message in claimed:  # a lease: a crashed sender's messages come back later
            message.state, message.next_attempt_at = "sending", now + SEND_LEASE
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
            if error is None:
                row.state, row.sent_at, row.provider_message_id = "sent", now, provider_id
                row.next_attempt_at, row.last_error = None, None
                sent += 1
            elif retryable and row.attempts < rules.sms_max_attempts:
                delay = rules.sms_backoff_seconds * rules.sms_backoff_factor ** (row.attempts - 1)
                row.state, row.last_error = "retrying", error
                row.next_attempt_at = now + timedelta(seconds=delay)
                log.warning(
                    "SMS %s attempt %d failed, retry in %.0fs: %s",
                    row.id,
                    row.attempts,
                    delay,
                    error,
                )
            else:
                row.state, row.last_error, row.next_attempt_at = "failed", error, None
                log.error(
                    "SMS %s failed for good after %d attempts: %s", row.id, row.attempts, error
                )
    return sent
