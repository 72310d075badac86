"""The officer app's tables, on the platform's declarative Base (one metadata, one migration chain).

Cases, work orders, merchants and users stay the platform's; these tables only add what the app
needs: photos, inspection tasks and inspections, special inspections, the risk-colour history,
work-order field actions, refresh tokens and idempotency keys.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from streetorder.platform.db.base import Base, utcnow
from streetorder.platform.db.registry import Merchant


class Photo(Base):
    """A photo taken by an officer: stored stripped; capture time and GPS kept as fields.

    A rectification photo is also the platform's ``EvidenceFile`` of the case (same bytes, same
    key), so the case workflow and the console see it; this row adds what the phone knew."""

    __tablename__ = "mobile_photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16), doc="rectification | inspection")
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    inspection_id: Mapped[int | None] = mapped_column(
        ForeignKey("mobile_inspections.id"), index=True
    )
    evidence_file_id: Mapped[int | None] = mapped_column(
        ForeignKey("evidence_files.id"), doc="The platform's record of a case photo."
    )
    squad_id: Mapped[int | None] = mapped_column(ForeignKey("squads.id"), index=True)
    storage_key: Mapped[str] = mapped_column(String(300), doc="Key in the evidence store.")
    content_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    original_sha256: Mapped[str] = mapped_column(String(64))
    original_format: Mapped[str] = mapped_column(String(8))
    original_size: Mapped[int] = mapped_column(Integer)
    captured_at: Mapped[datetime | None] = mapped_column()
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class SpecialInspection(Base):
    """A special inspection (专项检查) a squad leader sets for some shops or an area."""

    __tablename__ = "mobile_special_inspections"
    id: Mapped[int] = mapped_column(primary_key=True)
    squad_id: Mapped[int] = mapped_column(ForeignKey("squads.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    area: Mapped[str | None] = mapped_column(String(200), doc="Address text that picked shops.")
    due_at: Mapped[datetime] = mapped_column()
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class InspectionTask(Base):
    """One shop to inspect: a routine task from the colour schedule, or part of a special one.

    ``open_slot`` is ``routine:<merchant id>`` while a routine task is open and NULL otherwise,
    so at most one open routine task per shop exists even with several schedulers running.
    """

    __tablename__ = "mobile_inspection_tasks"
    __table_args__ = (
        Index("ix_mobile_inspection_tasks_squad_status_due", "squad_id", "status", "due_at"),
        UniqueConstraint("special_id", "merchant_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), doc="inspection | special")
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    squad_id: Mapped[int] = mapped_column(ForeignKey("squads.id"))
    special_id: Mapped[int | None] = mapped_column(ForeignKey("mobile_special_inspections.id"))
    status: Mapped[str] = mapped_column(String(16), default="open")
    due_at: Mapped[datetime] = mapped_column()
    colour_at_creation: Mapped[str] = mapped_column(String(8))
    open_slot: Mapped[str | None] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    done_at: Mapped[datetime | None] = mapped_column()
    merchant: Mapped[Merchant] = relationship()
    special: Mapped[SpecialInspection | None] = relationship()


class Inspection(Base):
    """What an officer found at a shop: checklist answers, result, notes (photos link here)."""

    __tablename__ = "mobile_inspections"
    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("mobile_inspection_tasks.id"))
    squad_id: Mapped[int] = mapped_column(ForeignKey("squads.id"), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    inspected_at: Mapped[datetime] = mapped_column()
    checklist: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[str] = mapped_column(String(16))
    notes: Mapped[str] = mapped_column(Text, default="")
    colour_before: Mapped[str] = mapped_column(String(8))
    colour_after: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RiskState(Base):
    """Per shop: the run of clean inspections and the last inspection (the colour itself is
    ``merchants.risk_colour``, the platform's field)."""

    __tablename__ = "mobile_risk_states"
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), primary_key=True)
    clean_run: Mapped[int] = mapped_column(Integer, default=0)
    last_inspected_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RiskEvent(Base):
    """Append-only: each confirmed case or inspection applied to a shop's colour, and its
    effect. Rows with ``colour_before != colour_after`` are the colour changes; ``cause`` says
    why. A case is applied at most once (unique ``case_id``)."""

    __tablename__ = "mobile_risk_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    at: Mapped[datetime] = mapped_column()
    cause: Mapped[str] = mapped_column(String(24))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), unique=True)
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("mobile_inspections.id"))
    colour_before: Mapped[str] = mapped_column(String(8))
    colour_after: Mapped[str] = mapped_column(String(8))
    clean_run_after: Mapped[int] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class WorkOrderAction(Base):
    """An officer's field action on a work order (acknowledged, ordered to correct, refused,
    extension asked, photo added, completed) — the app's timeline of the order."""

    __tablename__ = "mobile_work_order_actions"
    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    action: Mapped[str] = mapped_column(String(24))
    note: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column()
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)


class RefreshToken(Base):
    """An opaque refresh token (stored hashed), used once: each refresh rotates it. Reusing a
    rotated token revokes its whole family (a stolen copy was used)."""

    __tablename__ = "mobile_refresh_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family: Mapped[str] = mapped_column(String(32), index=True)
    issued_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class IdempotencyRecord(Base):
    """The response to a write made with an ``Idempotency-Key``; a retry gets it replayed."""

    __tablename__ = "mobile_idempotency_keys"
    __table_args__ = (UniqueConstraint("scope", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(40), doc="user:<id> (or the login name).")
    key: Mapped[str] = mapped_column(String(100))
    fingerprint: Mapped[str] = mapped_column(String(64), doc="sha256 of method, path and body.")
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
