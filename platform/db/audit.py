"""The append-only history of work orders and SMS messages (cases have ``case_events``), and
what the retention job deleted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from streetorder.platform.db.base import Base, utcnow


class LifecycleEvent(Base):
    """One transition of a work order or an SMS: what, from which state to which, who, when."""

    __tablename__ = "lifecycle_events"
    __table_args__ = (Index("ix_lifecycle_events_subject", "subject", "subject_id"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    subject: Mapped[str] = mapped_column(String(16), doc="work_order | sms")
    subject_id: Mapped[int] = mapped_column(Integer)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    event: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str] = mapped_column(String(24))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(16))
    actor_name: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class RetentionRecord(Base):
    """The audit record of one case's retention purge: what was deleted, when, and why (written
    once, in the transaction that redacted the rows; the files' sha256 stay for the record)."""

    __tablename__ = "retention_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    purged_at: Mapped[datetime] = mapped_column(index=True)
    closed_at: Mapped[datetime] = mapped_column(doc="When the case was closed or rejected.")
    period_days: Mapped[float] = mapped_column(Float, doc="The retention period applied.")
    files_deleted: Mapped[int] = mapped_column(Integer, default=0)
    bytes_deleted: Mapped[int] = mapped_column(BigInteger, default=0)
    files: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, default=list, doc="Each deleted file: evidence file id, kind, sha256, size."
    )
    sms_redacted: Mapped[int] = mapped_column(Integer, default=0)
    reports_redacted: Mapped[int] = mapped_column(Integer, default=0)
    actor_name: Mapped[str] = mapped_column(String(100), default="retention job")
