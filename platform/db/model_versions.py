"""Detector versions kept by the platform and which node or camera is to run which."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from streetorder.platform.db.base import Base, utcnow


class ModelVersion(Base):
    """An uploaded bundle: the ONNX file (in the evidence store, under ``storage_key``), what the
    model says about itself (classes, input size) and its manifest with the card metrics."""

    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("name", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    classes: Mapped[list[str]] = mapped_column(JSON)
    imgsz: Mapped[list[int]] = mapped_column(JSON, doc="Input height, width (from the model).")
    manifest: Mapped[dict[str, Any]] = mapped_column(JSON)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    storage_key: Mapped[str] = mapped_column(String(200))
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModelAssignmentRecord(Base):
    """A node (``camera_id`` None) or one camera is to run a version. Rows are kept: the
    current one has no ``replaced_at``; the one it replaced is what a rollback assigns."""

    __tablename__ = "model_assignments"
    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("edge_nodes.id"), index=True)
    camera_id: Mapped[int | None] = mapped_column(ForeignKey("cameras.id"), index=True)
    model_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_versions.id"), doc="None: back to the node's own (or node-wide) model."
    )
    assigned_by: Mapped[str] = mapped_column(String(100))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    replaced_at: Mapped[datetime | None] = mapped_column()
    config_revision: Mapped[int | None] = mapped_column(
        Integer, doc="The node's config revision that carried it (its ack: applied or not)."
    )
    model_version: Mapped[ModelVersion | None] = relationship()
