"""Case tables: alerts, cases, the append-only case events, work orders, penalties, evidence."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ColumnElement,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from streetorder.platform.db.base import Base, utcnow
from streetorder.platform.db.registry import Merchant, Squad, Street, Zone
from streetorder.platform.domain.workflow import TERMINAL_VALUES

#: An open case, as literal SQL: the predicate of ``ix_cases_open_deadline``, which a query
#: must repeat as written to use that partial index (bound parameters would not match it).
OPEN_CASE_SQL = "state NOT IN (" + ", ".join(f"'{v}'" for v in TERMINAL_VALUES) + ")"


class AlertRecord(Base):
    """An alert as received from an edge node (one row per alert id, however often sent)."""

    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[str] = mapped_column(String(64), unique=True)
    node_code: Mapped[str] = mapped_column(String(64))
    camera_code: Mapped[str] = mapped_column(String(64))
    zone_code: Mapped[str] = mapped_column(String(64))
    shop_id: Mapped[str] = mapped_column(String(64))
    episode_started_at: Mapped[datetime] = mapped_column()
    threshold_crossed_at: Mapped[datetime] = mapped_column()
    dwell_seconds: Mapped[float] = mapped_column(Float)
    reminder: Mapped[int] = mapped_column(Integer, default=0)
    objects: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    frame_size: Mapped[list[int]] = mapped_column(JSON)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, doc="EvidenceRef list.")
    model_name: Mapped[str] = mapped_column(String(100))
    model_version: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(doc="When the edge made the alert.")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    episode_ended_at: Mapped[datetime | None] = mapped_column()
    clear_seconds: Mapped[float | None] = mapped_column(Float)
    #: sha256 of the alert's canonical JSON: another message with this id and other content
    #: is a conflict (None: stored before the column existed).
    content_sha256: Mapped[str | None] = mapped_column(String(64))


class Case(Base):
    """One violation case and its current step. History lives in ``case_events``.

    Columns the dashboard rollups read keep their old value when changed (``active_history``),
    so ``db/rollups.py`` can move a case from its old bucket to its new one.
    """

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_state_discovered", "state", "discovered_at"),
        Index("ix_cases_merchant_confirmed", "merchant_id", "confirmed_at"),
        Index("ix_cases_squad_state", "squad_id", "state"),
        Index("ix_cases_state_deadline", "state", "deadline_at"),
        # the yellow lights of a period: open cases past their deadline, read from the index
        Index(
            "ix_cases_open_deadline",
            "deadline_at",
            postgresql_include=["discovered_at", "street_id"],
            postgresql_where=text(OPEN_CASE_SQL),
            sqlite_where=text(OPEN_CASE_SQL),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(16), default="camera", active_history=True)
    state: Mapped[str] = mapped_column(String(24), active_history=True)
    track: Mapped[str | None] = mapped_column(String(8), doc="exempt | penalty, set on confirm.")
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"))
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id"))
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"), active_history=True)
    squad_id: Mapped[int | None] = mapped_column(ForeignKey("squads.id"))
    node_code: Mapped[str | None] = mapped_column(String(64))
    camera_code: Mapped[str | None] = mapped_column(String(64))
    zone_code: Mapped[str | None] = mapped_column(String(64))
    shop_id: Mapped[str | None] = mapped_column(String(64))
    place: Mapped[str] = mapped_column(String(300), default="")
    discovered_at: Mapped[datetime] = mapped_column(active_history=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    step_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(doc="Time limit of the current step.")
    rectify_deadline_at: Mapped[datetime | None] = mapped_column(active_history=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(active_history=True)
    rectified_at: Mapped[datetime | None] = mapped_column(active_history=True)
    verified_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column(active_history=True)
    episode_ended_at: Mapped[datetime | None] = mapped_column()
    dispatched_at: Mapped[datetime | None] = mapped_column(
        active_history=True, doc="When a work order first went out."
    )
    self_corrected_at: Mapped[datetime | None] = mapped_column(
        active_history=True, doc="When the camera saw the frontage clear before any dispatch."
    )
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reject_reason: Mapped[str | None] = mapped_column(Text)
    exemption_note: Mapped[str | None] = mapped_column(Text)
    urge_count: Mapped[int] = mapped_column(Integer, default=0, active_history=True)
    extension_count: Mapped[int] = mapped_column(Integer, default=0)
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    alert_count: Mapped[int] = mapped_column(Integer, default=1)
    merchant: Mapped[Merchant | None] = relationship()
    zone: Mapped[Zone | None] = relationship()
    street: Mapped[Street | None] = relationship()
    squad: Mapped[Squad | None] = relationship()
    events: Mapped[list[CaseEvent]] = relationship(
        order_by="CaseEvent.id", viewonly=True, lazy="raise_on_sql"
    )

    @property
    def number(self) -> str:
        """The case number shown to people and in SMS, e.g. ``CG00000123``."""
        return case_number(self.id)


def yellow_light(now: datetime) -> ColumnElement[bool]:
    """The yellow light in SQL (``workflow.is_overdue``): an open case past its step's limit at
    ``now``, with the open-case predicate as the partial index writes it."""
    return and_(text(OPEN_CASE_SQL), Case.deadline_at < now)


def case_number(case_id: int) -> str:
    """A case's number from its id, e.g. ``CG00000123``."""
    return f"CG{case_id:08d}"


class CaseEvent(Base):
    """Append-only audit trail: every transition (and note) of a case, who and when."""

    __tablename__ = "case_events"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
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


class WorkOrder(Base):
    """A dispatch to the street's squad: order the merchant to correct, upload a photo."""

    __tablename__ = "work_orders"
    __table_args__ = (UniqueConstraint("case_id", "round"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    round: Mapped[int] = mapped_column(Integer, default=1, doc="1, then +1 for each rework.")
    squad_id: Mapped[int] = mapped_column(ForeignKey("squads.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    instructions: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)
    deadline_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
    case: Mapped[Case] = relationship()
    squad: Mapped[Squad] = relationship()


class Penalty(Base):
    """The penalty path of a case: fine decided, payment due, paid (with late surcharge)."""

    __tablename__ = "penalties"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    fine_cents: Mapped[int] = mapped_column(Integer)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column()
    basis: Mapped[str] = mapped_column(Text, default="")
    due_at: Mapped[datetime | None] = mapped_column()
    paid_at: Mapped[datetime | None] = mapped_column()
    surcharge_cents: Mapped[int] = mapped_column(Integer, default=0)
    paid_cents: Mapped[int | None] = mapped_column(Integer)
    payment_reference: Mapped[str | None] = mapped_column(String(100))


class EvidenceFile(Base):
    """A stored file: alert evidence from the edge, or a photo attached to a case."""

    __tablename__ = "evidence_files"
    __table_args__ = (UniqueConstraint("alert_id", "filename"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[str | None] = mapped_column(String(64), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
