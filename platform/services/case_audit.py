"""The ``case_events`` row of a workflow audit record, for the ORM and for bulk inserts alike."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from streetorder.platform.db import CaseEvent
from streetorder.platform.domain.workflow import AuditRecord


def jsonable(data: dict[str, Any]) -> dict[str, Any]:
    """Audit data as stored in a JSON column (datetimes as ISO strings)."""
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in data.items()}


def audit_values(case_id: int, record: AuditRecord) -> dict[str, Any]:
    """The column values of the record's ``case_events`` row."""
    return {
        "case_id": case_id, "event": record.event.value,
        "from_state": record.from_state.value if record.from_state else None,
        "to_state": record.to_state.value, "actor_id": record.actor.user_id,
        "actor_role": record.actor.role.value, "actor_name": record.actor.name, "at": record.at,
        "note": record.note, "data": jsonable(record.data),
    }  # fmt: skip


def audit_row(case_id: int, record: AuditRecord) -> CaseEvent:
    return CaseEvent(**audit_values(case_id, record))
