"""Open311 tables: trusted clients (the 12345 hotline's system...) and citizen reports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from streetorder.platform.db.base import Base, utcnow


class Open311Client(Base):
    """A trusted client with an API key (stored as its sha256): not rate limited; its reports
    carry its source (``hotline`` for the 12345 system, ``citizen`` for a reporting app)."""

    __tablename__ = "open311_clients"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    source: Mapped[str] = mapped_column(String(16))
    api_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()


class CitizenReport(Base):
    """One GeoReport v2 service request. Its status follows its case; the reporter's contact
    fields (``reporter_*``) are never served by the public endpoints."""

    __tablename__ = "citizen_reports"
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    service_code: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(16))
    client_id: Mapped[int | None] = mapped_column(ForeignKey("open311_clients.id"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    joined_open_case: Mapped[bool] = mapped_column(Boolean, default=False)
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"))
    match_distance_m: Mapped[float | None] = mapped_column(Float)
    requested_at: Mapped[datetime] = mapped_column(index=True)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    media_url: Mapped[str | None] = mapped_column(String(2000), doc="A reference, never fetched.")
    photo_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reporter_first_name: Mapped[str | None] = mapped_column(String(100))
    reporter_last_name: Mapped[str | None] = mapped_column(String(100))
    reporter_email: Mapped[str | None] = mapped_column(String(254))
    reporter_phone: Mapped[str | None] = mapped_column(String(20))
    device_id: Mapped[str | None] = mapped_column(String(100))
    account_id: Mapped[str | None] = mapped_column(String(100))
    sms_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    closure_sms_id: Mapped[int | None] = mapped_column(ForeignKey("sms_messages.id"))


class Open311RateLimit(Base):
    """The recent anonymous posts of one client address (``key``: a keyed hash, never the
    address), shared by every platform replica; rows idle for a whole window are deleted."""

    __tablename__ = "open311_rate_limits"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    hits: Mapped[list[float]] = mapped_column(JSON, default=list, doc="POSIX seconds, oldest 1st.")
    updated_at: Mapped[datetime] = mapped_column(index=True)
