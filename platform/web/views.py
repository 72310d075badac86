"""Read models for the pages: plain dicts built from the database, formatted for people.

Reads only; every change goes through the platform's services.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from streetorder.platform.db import (
    AlertRecord,
    Case,
    Merchant,
    Penalty,
    Zone,
)
from streetorder.platform.domain.ignore_regions import FIXED_STRUCTURE_LABEL
from streetorder.platform.domain.roles import Actor, Role
from streetorder.platform.domain.workflow import (
    TRANSITIONS,
    Event,
    State,
    Workflow,
    format_duration,
    format_local,
    handling_time,
    is_overdue,
)
from streetorder.platform.services import case_reads
from streetorder.platform.services import cases as case_service
from streetorder.platform.services.cases import CaseFilter

STATE_LABELS = {
    State.DISCOVERED: "discovered",
    State.PENDING_REVIEW: "pending review",
    State.REJECTED: "rejected",
    State.CONFIRMED: "confirmed",
    State.NOTIFIED: "notified (camera watching)",
    State.NOTIFIED_DISPATCHED: "notified + dispatched",
    State.RECTIFIED: "rectified",
    State.VERIFIED: "verified",
    State.FINE_DECIDED: "fine decided",
    State.PAYMENT_DUE: "payment due",
    State.PAID: "paid",
    State.CLOSED: "closed",
}
EVENT_LABELS = {
    "discover": "Alert received",
    "register": "Registered",
    "confirm": "Confirmed",
    "reject": "Rejected",
    "dispatch": "SMS sent + work order dispatched",
    "notify": "SMS sent (the merchant may correct; the camera watches)",
    "self_correct": "Self-corrected (seen clear by the camera)",
    "rectify": "Rectified (photo uploaded)",
    "extend": "Deadline extended",
    "urge": "Urged",
    "rework": "Sent back for rework",
    "verify": "Verified",
    "escalate": "Moved to the penalty path",
    "decide_fine": "Fine decided",
    "notify_payment": "Payment notice sent",
    "record_payment": "Payment recorded",
    "close": "Closed",
    "episode_end": "Camera sees the frontage clear",
    "reminder": "Reminder alert",
}
#: Buttons on the case page: events a person can trigger there without extra data.
CASE_PAGE_EVENTS = (Event.URGE, Event.VERIFY, Event.REWORK, Event.CLOSE)
BUTTON_STYLE = {Event.VERIFY: "primary", Event.CLOSE: "primary", Event.REWORK: "danger"}

#: Rejection reasons offered by the keyboard picker (1-9); the last one asks for free text.
REJECT_REASONS = (
    "No goods outside the shop (a person, vehicle or shadow taken for goods)",
    FIXED_STRUCTURE_LABEL,  # also masks the object on its camera (services/ignore_regions.py)
    "Goods in transit (delivery being unloaded)",
    "Outside the shop's frontage zone",
    "Permitted (event or temporary permit)",
    "Duplicate of an open case",
    "Wrong merchant bound to the zone",
    "Image unusable (dark, blurred, blocked)",
    "Other (type the reason)",
)


def state_label(state: str) -> str:
    try:
        return STATE_LABELS[State(state)]
    except ValueError:
        return state


def local(moment: datetime | None, tz: ZoneInfo) -> str:
    return format_local(moment, tz) if moment else ""


def mask_mobile(mobile: str | None) -> str:
    """``138****5678``: reviewers see enough to recognise a number, not to copy it."""
    if not mobile:
        return ""
    return mobile[:3] + "****" + mobile[-4:] if len(mobile) >= 11 else mobile


def evidence_url(prefix: str, alert_id: str, filename: str) -> str:
    return f"{prefix}/evidence/{alert_id}/{filename}"


def evidence_view(session: Session, prefix: str, alert: AlertRecord | None) -> dict[str, Any]:
    """Image, clip and hash rows of an alert's evidence (only files actually stored get URLs)."""
    out: dict[str, Any] = {
        "annotated": None,
        "clean": None,
        "clip": None,
        "crop": None,
        "files": [],
    }
    if alert is None:
        return out
    stored = case_reads.stored_filenames(session, alert_id=alert.alert_id)
    key = {"annotated_frame": "annotated", "clean_frame": "clean", "clip": "clip", "crop": "crop"}
    for ref in alert.evidence:
        url = evidence_url(prefix, alert.alert_id, ref["filename"])
        is_stored = ref["filename"] in stored
        if is_stored and key.get(ref["kind"]) and out[key[ref["kind"]]] is None:
            out[key[ref["kind"]]] = url
        out["files"].append(
            {
                "kind": ref["kind"],
                "filename": ref["filename"],
                "url": url,
                "size": f"{ref['size_bytes'] / 1024:.0f} KiB",
                "sha256": ref["sha256"],
                "stored": is_stored,
            }
        )
    return out


def merchant_view(merchant: Merchant | None) -> dict[str, Any] | None:
    if merchant is None:
        return None
    return {
        "name": merchant.name,
        "address": merchant.address,
        "responsible_person": merchant.responsible_person,
        "mobile": mask_mobile(merchant.mobile),
        "credit_code": merchant.credit_code,
        "risk_colour": merchant.risk_colour,
    }


def merchant_history(
    session: Session, prefix: str, tz: ZoneInfo, case: Case, limit: int = 10
) -> list[dict[str, Any]]:
    rows = case_reads.merchant_cases(session, case=case, limit=limit)
    return [
        {
            "number": c.number,
            "url": f"{prefix}/cases/{c.id}",
            "discovered": local(c.discovered_at, tz),
            "state": c.state,
            "state_label": state_label(c.state),
            "track": c.track,
        }
        for c in rows
    ]


def _camera_label(session: Session, case: Case) -> str:
    if not case.camera_code:
        return ""
    cam = case_reads.camera_of(session, case=case)
    where = f" · {cam.address}" if cam is not None and cam.address else ""
    return f"{case.node_code}/{case.camera_code}{where}"


def _zone_label(case: Case) -> str:
    zone: Zone | None = case.zone
    if zone is not None:
        return f"{zone.name or zone.code} ({zone.code})"
    return case.zone_code or ""


def queue_items(
    session: Session, tz: ZoneInfo, now: datetime, *, actor: Actor, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """Pending alerts, oldest first (``services.cases.list_cases``), and how many in all."""
    cases, total = case_service.list_cases(
        session, actor=actor, filters=CaseFilter(state=State.PENDING_REVIEW.value), now=now,
        oldest_first=True, limit=limit,
    )  # fmt: skip
    items = [
        {
            "case_id": c.id,
            "number": c.number,
            "merchant": c.merchant.name if c.merchant else (c.shop_id or "?"),
            "discovered": local(c.discovered_at, tz),
            "waiting": format_duration(now - c.discovered_at),
            "overdue": is_overdue(c, now),
        }
        for c in cases
    ]
    return items, total


def _common(session: Session, prefix: str, tz: ZoneInfo, now: datetime, case: Case) -> dict:
    alert = case_reads.first_alert(session, case=case)
    return {
        "case_id": case.id,
        "number": case.number,
        "url": f"{prefix}/cases/{case.id}",
        "state": case.state,
        "state_label": state_label(case.state),
        "overdue": is_overdue(case, now),
        "discovered": local(case.discovered_at, tz),
        "place": case.place,
        "camera": _camera_label(session, case),
        "zone": _zone_label(case),
        "merchant": merchant_view(case.merchant),
        "history": merchant_history(session, prefix, tz, case),
        "evidence": evidence_view(session, prefix, alert),
        "alert": alert,
    }


def panel_view(session: Session, prefix: str, tz: ZoneInfo, now: datetime, case: Case) -> dict:
    """The review panel of one pending alert."""
    view = _common(session, prefix, tz, now, case)
    alert: AlertRecord | None = view.pop("alert")
    confirmed = sum(1 for h in view["history"] if h["state"] not in ("rejected", "pending_review"))
    view.update(
        waiting=format_duration(now - case.discovered_at),
        dwell=format_duration(timedelta(seconds=alert.dwell_seconds)) if alert else "",
        objects=alert.objects if alert else [],
        model=f"{alert.model_name} {alert.model_version}" if alert else "",
        alert_count=case.alert_count,
        history_note=f"{confirmed} earlier confirmed case(s) shown",
    )
    return view


def _events(session: Session, case: Case, tz: ZoneInfo) -> list[dict[str, Any]]:
    rows = case_service.timeline(session, case_id=case.id)
    return [
        {
            "event": e.event,
            "label": EVENT_LABELS.get(e.event, e.event),
            "from_state": e.from_state,
            "to_state": e.to_state,
            "at": local(e.at, tz),
            "actor": e.actor_name,
            "role": e.actor_role,
            "note": e.note,
        }
        for e in rows
    ]


def case_view(
    session: Session,
    prefix: str,
    tz: ZoneInfo,
    now: datetime,
    case: Case,
    *,
    role: Role,
    workflow: Workflow,
) -> dict[str, Any]:
    """Everything the case page shows."""
    view = _common(session, prefix, tz, now, case)
    view.pop("alert")
    sms = case_reads.sms_of(session, case_id=case.id)
    orders = case_reads.orders_of(session, case_id=case.id)
    penalty = case_service.get_penalty(session, case_id=case.id)
    photos = case_reads.officer_photos(session, case_id=case.id)
    allowed = set(workflow.allowed_events(case, role, now=now))
    overdue = is_overdue(case, now)
    view.update(
        track=case.track,
        source=case.source,
        handling=format_duration(handling_time(case, now)),
        overdue_by=format_duration(now - case.deadline_at) if overdue and case.deadline_at else "",
        step_started=local(case.step_started_at, tz),
        deadline=local(case.deadline_at, tz),
        rectify_deadline=local(case.rectify_deadline_at, tz),
        exemption_note=case.exemption_note,
        reject_reason=case.reject_reason,
        urge_count=case.urge_count,
        extension_count=case.extension_count,
        rework_count=case.rework_count,
        street=case.street.name if case.street else "",
        squad=case.squad.name if case.squad else "",
        penalty=_penalty_text(penalty, tz),
        timeline=_events(session, case, tz),
        photos=[
            {
                "url": f"{prefix}/files/{p.id}",
                "kind": p.kind,
                "uploaded": local(p.uploaded_at, tz),
                "sha256": p.sha256,
            }
            for p in photos
        ],
        camera_after=[
            {
                "url": evidence_url(prefix, a.alert_id, f.filename),
                "camera": a.camera_code,
                "clear_since": local(a.episode_ended_at, tz),
                "sha256": f.sha256,
            }
            for f, a in case_service.camera_after_frames(session, case=case)
        ],
        self_corrected=case.self_corrected_at is not None,
        sms=[
            {
                "stage": s.stage,
                "recipient": s.recipient,
                "mobile": mask_mobile(s.mobile),
                "provider": s.provider,
                "state": s.state,
                "attempts": s.attempts,
                "created": local(s.created_at, tz),
                "last_error": s.last_error,
                "body": s.body,
            }
            for s in sms
        ],
        work_orders=[
            {
                "round": w.round,
                "squad": w.squad.name if w.squad else "",
                "state": w.state,
                "deadline": local(w.deadline_at, tz),
                "overdue": w.state == "open" and now > w.deadline_at,
                "instructions": w.instructions,
            }
            for w in orders
        ],
        actions=[
            {
                "event": e.value,
                "label": e.value.replace("_", " ").capitalize(),
                "needs_note": TRANSITIONS[e].needs_note,
                "description": TRANSITIONS[e].description,
                "style": BUTTON_STYLE.get(e, ""),
            }
            for e in CASE_PAGE_EVENTS
            if e in allowed
        ],
    )
    return view


def _penalty_text(penalty: Penalty | None, tz: ZoneInfo) -> str:
    if penalty is None:
        return ""
    text = f"{penalty.fine_cents / 100:.2f} CNY decided {local(penalty.decided_at, tz)}"
    if penalty.due_at:
        text += f", due {local(penalty.due_at, tz)}"
    if penalty.paid_at:
        text += f", paid {local(penalty.paid_at, tz)}"
        if penalty.surcharge_cents:
            text += f" (+{penalty.surcharge_cents / 100:.2f} late surcharge)"
    return text


def case_rows(
    session: Session,
    prefix: str,
    tz: ZoneInfo,
    now: datetime,
    *,
    actor: Actor,
    state: str | None,
    yellow: bool,
    limit: int = 200,
) -> tuple[list[dict[str, Any]], int]:
    """Newest cases first, as the actor may see them (officers: their squad's)."""
    filters = CaseFilter(state=state or None, overdue=True if yellow else None)
    cases, total = case_service.list_cases(
        session, actor=actor, filters=filters, now=now, oldest_first=False, limit=limit
    )
    rows = [
        {
            "number": c.number,
            "url": f"{prefix}/cases/{c.id}",
            "state": c.state,
            "state_label": state_label(c.state),
            "merchant": c.merchant.name if c.merchant else (c.shop_id or ""),
            "street": c.street.name if c.street else "",
            "discovered": local(c.discovered_at, tz),
            "handling": format_duration(handling_time(c, now)),
            "overdue": is_overdue(c, now),
        }
        for c in cases
    ]
    return rows, total
