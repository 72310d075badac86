"""Outgoing SMS and rejected incoming messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from streetorder.platform.db.base import Base, utcnow


class SmsMessage(Base):
    """One SMS per case and stage; the outbox provider leaves it here as the record."""

    __tablename__ = "sms_messages"
    __table_args__ = (UniqueConstraint("case_id", "stage"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    stage: Mapped[str] = mapped_column(String(24), doc="notice | rework | penalty ...")
    mobile: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(100), default="")
    body: Mapped[str] = mapped_column(Text)
    provider: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_message_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    delivered_at: Mapped[datetime | None] = mapped_column()


class RejectedMessage(Base):
    """A message the ingest refused: topic, reason, and its bytes as received (any bytes, up to
    ``ingest.keep_rejected_payload_bytes``); ``payload_head`` is their readable start.

    ``category``: invalid (not a valid message for its topic), untrusted (node, camera, zone or
    shop not registered so), clock (a time outside the clock-skew window), conflict (an alert
    id already stored with other content), error (the database or the code refused it).
    """

    __tablename__ = "rejected_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(300))
    reason: Mapped[str] = mapped_column(Text)
    payload_head: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[bytes | None] = mapped_column(LargeBinary)
    payload_size: Mapped[int | None] = mapped_column(Integer, doc="The whole payload's size.")
    category: Mapped[str] = mapped_column(String(16), default="invalid", index=True)
    node_code: Mapped[str | None] = mapped_column(String(64), doc="The topic's node.")
    alert_id: Mapped[str | None] = mapped_column(String(64), index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
