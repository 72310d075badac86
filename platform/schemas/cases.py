"""Case schemas: list items with the yellow light and handling time, detail with history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from streetorder.platform.db import (
    AlertRecord,
    Case,
    CaseEvent,
    EvidenceFile,
    Penalty,
    SmsMessage,
    WorkOrder,
)
from streetorder.platform.domain.roles import Role
from streetorder.platform.domain.workflow import format_duration, handling_time, is_overdue
from streetorder.platform.schemas.common import In, Out
from streetorder.platform.services.rules import Rules


class MerchantBrief(Out):
    id: int
    shop_id: str
    name: str
    address: str
    responsible_person: str
    mobile: str | None
    risk_colour: str


class CasePublic(BaseModel):
    id: int
    number: str = Field(description="Shown to people and in SMS.")
    state: str
    track: str | None = Field(description="exempt | penalty, decided on confirmation.")
    source: str
    alert_id: str | None
    merchant: MerchantBrief | None
    shop_id: str | None
    place: str
    node_code: str | None
    camera_code: str | None
    zone_code: str | None
    street_id: int | None
    squad_id: int | None
    discovered_at: datetime
    created_at: datetime
    deadline_at: datetime | None = Field(description="Time limit of the current step.")
    rectify_deadline_at: datetime | None
    overdue: bool = Field(description="The yellow light: the current step is past its limit.")
    handling_time: str = Field(description='e.g. "6 days 23 hours 41 minutes".')
    handling_seconds: int
    exemption_note: str | None
    reject_reason: str | None
    confirmed_at: datetime | None
    rectified_at: datetime | None
    verified_at: datetime | None
    closed_at: datetime | None
    episode_ended_at: datetime | None = Field(description="The camera saw the frontage clear.")
    dispatched_at: datetime | None = Field(None, description="A work order first went out.")
    self_corrected_at: datetime | None = Field(
        None, description="Rectified on the camera's word before any dispatch (notify_first)."
    )
    urge_count: int
    extension_count: int
    rework_count: int
    alert_count: int
    allowed_events: list[str] = Field(description="What the asking user may do now (buttons).")

    @classmethod
    def of(cls, case: Case, *, rules: Rules, now: datetime, role: Role) -> CasePublic:
        span = handling_time(case, now)
        merchant = MerchantBrief.model_validate(case.merchant) if case.merchant else None
        return cls(
            id=case.id, number=case.number, state=case.state, track=case.track,
            source=case.source, alert_id=case.alert_id, merchant=merchant, shop_id=case.shop_id,
            place=case.place, node_code=case.node_code, camera_code=case.camera_code,
            zone_code=case.zone_code, street_id=case.street_id, squad_id=case.squad_id,
            discovered_at=case.discovered_at, created_at=case.created_at,
            deadline_at=case.deadline_at, rectify_deadline_at=case.rectify_deadline_at,
            overdue=is_overdue(case, now), handling_time=format_duration(span),
            handling_seconds=int(span.total_seconds()), exemption_note=case.exemption_note,
            reject_reason=case.reject_reason, confirmed_at=case.confirmed_at,
            rectified_at=case.rectified_at, verified_at=case.verified_at,
            closed_at=case.closed_at, episode_ended_at=case.episode_ended_at,
            dispatched_at=case.dispatched_at, self_corrected_at=case.self_corrected_at,
            urge_count=case.urge_count, extension_count=case.extension_count,
            rework_count=case.rework_count, alert_count=case.alert_count,
            allowed_events=[e.value for e in rules.workflow.allowed_events(case, role, now=now)],
        )  # fmt: skip


class CaseEventPublic(Out):
    id: int
    event: str
    from_state: str | None
    to_state: str
    actor_id: int | None
    actor_role: str
    actor_name: str
    at: datetime
    note: str
    data: dict[str, Any]


class EvidenceFilePublic(Out):
    id: int
    alert_id: str | None
    case_id: int | None
    kind: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_at: datetime
    url: str = ""

    @classmethod
    def of(cls, record: EvidenceFile) -> EvidenceFilePublic:
        out = cls.model_validate(record)
        out.url = f"/api/v1/evidence/{record.id}"
        return out


class SmsPublic(Out):
    id: int
    case_id: int
    stage: str
    mobile: str
    recipient: str
    body: str
    provider: str
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None


class WorkOrderPublic(Out):
    id: int
    case_id: int
    round: int
    squad_id: int
    assignee_id: int | None
    instructions: str
    state: str
    deadline_at: datetime
    created_at: datetime
    acknowledged_at: datetime | None
    completed_at: datetime | None


class PenaltyPublic(Out):
    case_id: int
    fine_cents: int
    decided_at: datetime
    basis: str
    due_at: datetime | None
    paid_at: datetime | None
    paid_cents: int | None
    surcharge_cents: int
    amount_due_now_cents: int | None = Field(None, description="Fine plus surcharge if paid now.")


class AlertPublic(Out):
    id: int
    alert_id: str
    node_code: str
    camera_code: str
    zone_code: str
    shop_id: str
    episode_started_at: datetime
    threshold_crossed_at: datetime
    dwell_seconds: float
    reminder: int
    objects: list[dict[str, Any]]
    frame_size: list[int]
    evidence: list[dict[str, Any]]
    model_name: str
    model_version: str
    created_at: datetime
    received_at: datetime
    case_id: int | None
    episode_ended_at: datetime | None


class CaseDetail(CasePublic):
    events: list[CaseEventPublic]
    evidence: list[EvidenceFilePublic]
    alerts: list[AlertPublic]
    sms: list[SmsPublic]
    work_orders: list[WorkOrderPublic]
    penalty: PenaltyPublic | None


def detail_of(
    case: Case, *, rules: Rules, now: datetime, role: Role, events: list[CaseEvent],
    evidence: list[EvidenceFile], alerts: list[AlertRecord], sms: list[SmsMessage],
    orders: list[WorkOrder], penalty: Penalty | None, amount_due_now: int | None,
) -> CaseDetail:  # fmt: skip
    base = CasePublic.of(case, rules=rules, now=now, role=role)
    pen = None
    if penalty is not None:
        pen = PenaltyPublic.model_validate(penalty)
        pen.amount_due_now_cents = amount_due_now
    return CaseDetail(
        **base.model_dump(),
        events=[CaseEventPublic.model_validate(e) for e in events],
        evidence=[EvidenceFilePublic.of(e) for e in evidence],
        alerts=[AlertPublic.model_validate(a) for a in alerts],
        sms=[SmsPublic.model_validate(m) for m in sms],
        work_orders=[WorkOrderPublic.model_validate(o) for o in orders],
        penalty=pen,
    )


class Note(In):
    note: str = Field("", max_length=2000)


class Reason(In):
    reason: str = Field(min_length=1, max_length=2000, description="Required.")


class RectifyIn(In):
    photo_ids: list[int] = Field(min_length=1, description="Photos uploaded to /cases/{id}/photos.")
    note: str = Field("", max_length=2000)


class FineIn(In):
    fine_cents: int | None = Field(None, gt=0, description="Default: the configured default fine.")
    basis: str = Field("", max_length=2000, description="Legal basis and reasoning.")


class PaymentIn(In):
    paid_cents: int = Field(gt=0, description="Must equal the fine plus any late surcharge.")
    reference: str = Field("", max_length=100)


class CaseStats(BaseModel):
    by_state: dict[str, int]
    by_track: dict[str, int]
    by_source: dict[str, int]
    overdue: int
    urged: int
    open: int
    average_handling_seconds_closed: float | None
