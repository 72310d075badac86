"""Registry tables: streets and squads, users, merchants, edge nodes, cameras and zones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from streetorder.platform.db.base import Base, utcnow


class Street(Base):
    """A street/town (街镇): the unit a squad covers."""

    __tablename__ = "streets"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    district: Mapped[str] = mapped_column(String(200), default="")
    squads: Mapped[list[Squad]] = relationship(back_populates="street", order_by="Squad.id")


class Squad(Base):
    """An enforcement squad (中队) of a street."""

    __tablename__ = "squads"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    street_id: Mapped[int] = mapped_column(ForeignKey("streets.id"), index=True)
    street: Mapped[Street] = relationship(back_populates="squads")


class User(Base):
    """A login: reviewer, squad_leader, officer, admin or edge_node (a node's API key)."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(100))
    api_key_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    squad_id: Mapped[int | None] = mapped_column(ForeignKey("squads.id"), index=True)
    node_id: Mapped[int | None] = mapped_column(ForeignKey("edge_nodes.id"))
    mobile: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The console's language for this user (``zh-CN`` or ``en``); ``None`` is the default, Chinese.
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    squad: Mapped[Squad | None] = relationship()


class LoginSession(Base):
    """One login (console, platform API or officer app). Its cookie and access tokens carry
    ``sid``; they work only while the session is open, so logging out, or a reused refresh
    token, ends them all at once."""

    __tablename__ = "login_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    sid: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16), doc="console | api | app")
    started_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column(doc="Its refresh token's (or cookie's) end.")
    ended_at: Mapped[datetime | None] = mapped_column()
    end_reason: Mapped[str | None] = mapped_column(String(100))


class Merchant(Base):
    """A shop with a responsible person and a registered mobile phone."""

    __tablename__ = "merchants"
    __table_args__ = (Index("ix_merchants_location", "latitude", "longitude"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    credit_code: Mapped[str | None] = mapped_column(
        String(18), unique=True, doc="Unified social credit code (统一社会信用代码)."
    )
    responsible_person: Mapped[str] = mapped_column(String(100), default="")
    mobile: Mapped[str | None] = mapped_column(String(20))
    risk_colour: Mapped[str] = mapped_column(String(8), default="green")
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"), index=True)
    #: Where the shop's frontage is (WGS-84), for matching citizen reports to the shop.
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    street: Mapped[Street | None] = relationship()


class EdgeNode(Base):
    """An edge box; its cameras and zones are pushed to it as a revisioned config."""

    __tablename__ = "edge_nodes"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    street_id: Mapped[int | None] = mapped_column(ForeignKey("streets.id"))
    config_revision: Mapped[int] = mapped_column(Integer, default=0)
    acked_revision: Mapped[int] = mapped_column(Integer, default=0)
    availability: Mapped[str] = mapped_column(String(16), default="unknown")
    last_seen_at: Mapped[datetime | None] = mapped_column()
    last_heartbeat: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    cameras: Mapped[list[Camera]] = relationship(back_populates="node", order_by="Camera.id")


class Camera(Base):
    __tablename__ = "cameras"
    __table_args__ = (UniqueConstraint("node_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("edge_nodes.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    analysis_interval_seconds: Mapped[float] = mapped_column(Float, default=1.0)
    keyframes_only: Mapped[bool] = mapped_column(Boolean, default=False)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(300), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The explicit scene reference requested (one of image / at), who asked and when.
    reference_image: Mapped[str | None] = mapped_column(String(1024))
    reference_at: Mapped[datetime | None] = mapped_column()
    reference_set_by: Mapped[str | None] = mapped_column(String(100))
    reference_set_at: Mapped[datetime | None] = mapped_column()
    node: Mapped[EdgeNode] = relationship(back_populates="cameras")
    zones: Mapped[list[Zone]] = relationship(
        back_populates="camera", order_by="Zone.id", cascade="all, delete-orphan"
    )
    ignore_regions: Mapped[list[IgnoreRegionRecord]] = relationship(
        back_populates="camera", order_by="IgnoreRegionRecord.id", cascade="all, delete-orphan"
    )


class Zone(Base):
    """A shop's frontage polygon (relative 0-1 coordinates) on a camera, bound to a merchant."""

    __tablename__ = "zones"
    __table_args__ = (UniqueConstraint("camera_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    polygon: Mapped[list[list[float]]] = mapped_column(JSON)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    camera: Mapped[Camera] = relationship(back_populates="zones")
    merchant: Mapped[Merchant] = relationship()


class IgnoreRegionRecord(Base):
    """A box (relative x1, y1, x2, y2) whose detections the camera's node drops, e.g. a fixed
    structure a reviewer rejected. Removed regions stay, with who removed them and when."""

    __tablename__ = "camera_ignore_regions"
    __table_args__ = (UniqueConstraint("camera_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("cameras.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    box: Mapped[list[float]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(200), default="fixed_structure")
    alert_id: Mapped[str | None] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_by: Mapped[str | None] = mapped_column(String(100))
    removed_at: Mapped[datetime | None] = mapped_column()
    camera: Mapped[Camera] = relationship(back_populates="ignore_regions")


class ConfigPushRecord(Base):
    """A config revision pushed to a node (retained on MQTT) and the node's answer."""

    __tablename__ = "config_pushes"
    __table_args__ = (UniqueConstraint("node_id", "revision"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("edge_nodes.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    ack_accepted: Mapped[bool | None] = mapped_column(Boolean)
    ack_reason: Mapped[str | None] = mapped_column(Text)
    acked_at: Mapped[datetime | None] = mapped_column()
