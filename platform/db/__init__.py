"""Database models (SQLAlchemy 2, typed) and sessions; the same code on SQLite and PostgreSQL."""

from streetorder.platform.db.audit import LifecycleEvent
from streetorder.platform.db.base import Base, UTCDateTime, utcnow
from streetorder.platform.db.cases import (
    AlertRecord,
    Case,
    CaseEvent,
    EvidenceFile,
    Penalty,
    WorkOrder,
)
from streetorder.platform.db.leases import JobLease
from streetorder.platform.db.messaging import RejectedMessage, SmsMessage
from streetorder.platform.db.model_versions import ModelAssignmentRecord, ModelVersion
from streetorder.platform.db.open311 import CitizenReport, Open311Client, Open311RateLimit
from streetorder.platform.db.registry import (
    Camera,
    ConfigPushRecord,
    EdgeNode,
    IgnoreRegionRecord,
    Merchant,
    Squad,
    Street,
    User,
    Zone,
)
from streetorder.platform.db.rollups import CaseRollup
from streetorder.platform.db.session import Database

__all__ = [
    "AlertRecord",
    "Base",
    "Camera",
    "Case",
    "CaseEvent",
    "CaseRollup",
    "CitizenReport",
    "ConfigPushRecord",
    "Database",
    "EdgeNode",
    "EvidenceFile",
    "IgnoreRegionRecord",
    "JobLease",
    "LifecycleEvent",
    "Merchant",
    "ModelAssignmentRecord",
    "ModelVersion",
    "Open311Client",
    "Open311RateLimit",
    "Penalty",
    "RejectedMessage",
    "SmsMessage",
    "Squad",
    "Street",
    "UTCDateTime",
    "User",
    "WorkOrder",
    "Zone",
    "utcnow",
]
