"""Read models for the pages: plain dicts built from the database, formatted for people.

Reads only; every change goes through the platform's services.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from streetorder.i18n import CATALOGUE, duration, seconds_text
from streetorder.i18n.sms import sms_error_text
from streetorder.platform.db import (
    AlertRecord,
    Case,
    Merchant,
    Penalty,
    Zone,
)
from streetorder.platform.domain.ignore_regions import FIXED_STRUCTURE
from streetorder.platform.domain.roles import Actor, Role
from streetorder.platform.domain.workflow import (
    TRANSITIONS,
    Event,
    State,
    Workflow,
    format_local,
    handling_time,
    is_overdue,
)
from streetorder.platform.open311 import catalogue as open311_services
from streetorder.platform.open311 import reads as open311_reads
from streetorder.platform.open311.intake import public_id
from streetorder.platform.services import accounts, case_reads, lifecycle_audit
from streetorder.platform.services import cases as case_service
from streetorder.platform.services.cases import CaseFilter

#: Buttons on the case page: events a person can trigger there without extra data.
CASE_PAGE_EVENTS = (Event.URGE, Event.VERIFY, Event.REWORK, Event.CLOSE)
BUTTON_STYLE = {Event.VERIFY: "primary", Event.CLOSE: "primary", Event.REWORK: "danger"}

#: Rejection reasons offered by the picker (buttons and keys 1-9); the last asks for free text.
#: Each is ``reason.<code>`` in the catalogue; the stored reason is its text in the reviewer's
#: language (``fixed_structure`` in either language also masks the object on its camera).
REJECT_REASONS = (
    "no_goods",
    FIXED_STRUCTURE,
    "in_transit",
    "outside_zone",
    "permitted",
    "duplicate",
    "wrong_merchant",
    "unusable",
    "other",
)
Translate = Callable[..., str]


@dataclass(frozen=True)
class Names:
    """Who a recorded actor is, for people at the screens: a user's display name (their user
    name, which the records and APIs keep, as a tooltip); anyone else (``system``, an Open311
    client, a citizen) by the name recorded. Load once per page (one query), look up per row."""

    by_id: dict[int, tuple[str, str]]
    by_login: dict[str, tuple[str, str]]

    @classmethod
    def load(
        cls, session: Session, *, user_ids: Iterable[int | None] = (),
        usernames: Iterable[str | None] = (),
    ) -> Names:  # fmt: skip
        rows = accounts.people(
            session, user_ids=set(user_ids), usernames={n for n in usernames if n}
        )
        return cls({i: (d, u) for i, d, u in rows}, {u: (d, u) for _, d, u in rows})

    def of(self, user_id: int | None, recorded: str | None = "") -> dict[str, str]:
        """``{"name": what to show, "login": the user name when it differs, else ""}``: by the
        user's id when the record has one, else by the recorded user name."""
        found = self.by_id.get(user_id) if user_id is not None else None
        if found is None and recorded:
            found = self.by_login.get(recorded)
        if found is None:
            return {"name": recorded or "", "login": ""}
        display, login = found
        return {"name": display, "login": login if login != display else ""}


def reject_reasons(t: Translate) -> list[dict[str, str]]:
    return [{"code": code, "text": t(f"reason.{code}")} for code in REJECT_REASONS]


def label(t: Translate, group: str, value: str | None) -> str:
    """``group.value`` from the catalogue, or the raw value when the catalogue has none."""
    if not value:
        return ""
    key = f"{group}.{value}"
    return t(key) if key in CATALOGUE else value


def state_label(state: str, t: Translate) -> str:
    return label(t, "state", state)


def sms_error(t: Translate, error: str | None) -> str:
    """Why an SMS failed, in the reader's words (the stored diagnostic is shown as detail)."""
    if not error:
        return ""
    key, values = sms_error_text(error)
    return t(key, **values)


def local(moment: datetime | None, tz: ZoneInfo) -> str:
    return format_local(moment, tz) if moment else ""


def mask_mobile(mobile: str | None) -> str:
    """``138****5678``: reviewers see enough to recognise a number, not to copy it."""
    if not mobile:
        return ""
    return mobile[:3] + "****" + mobile[-4:] if len(mobile) >= 11 else mobile


def evidence_url(prefix: str, alert_id: str, filename: str) -> str:
    return f"{prefix}/evidence/{alert_id}/{filename}"


def _points(polygon: list[list[float]], width: int, height: int) -> str:
    return " ".join(f"{x * width:.1f},{y * height:.1f}" for x, y in polygon)


def overlay_view(alert: AlertRecord, zone: Zone | None, t: Translate, dwell: str) -> dict:
    """What the SVG drawn over the evidence frame shows, in the frame's pixels: the zone's
    outline from the registry, its shop, the dwell so far and each object's box."""
    width, height = (int(v) for v in (alert.frame_size or (1280, 720)))
    shop = zone.merchant.name if zone is not None and zone.merchant else alert.shop_id
    name = (zone.name or zone.code) if zone is not None else alert.zone_code
    polygon = zone.polygon if zone is not None else []
    top = min((y for _, y in polygon), default=0.0)
    left = min((x for x, _ in polygon), default=0.0)
    return {
        "width": width,
        "height": height,
        "zone_points": _points(polygon, width, height) if polygon else "",
        "label_x": round(left * width + 4, 1),
        "label_y": round(max(top * height - 8, 22), 1),
        "zone_label": name if shop and shop in name else t("ev.zone_label", zone=name, shop=shop),
        "dwell_label": t("ev.dwell_label", dwell=dwell),
        "font": max(14, width // 45),
        "objects": [
            {
                "x": round(o["box_xyxy"][0], 1),
                "y": round(o["box_xyxy"][1], 1),
                "w": round(o["box_xyxy"][2] - o["box_xyxy"][0], 1),
                "h": round(o["box_xyxy"][3] - o["box_xyxy"][1], 1),
                "label": f"{label(t, 'object', o.get('class_name'))} {o.get('score', 0):.0%}",
            }
            for o in alert.objects
            if len(o.get("box_xyxy") or ()) == 4
        ],
    }


def evidence_view(
    session: Session, prefix: str, alert: AlertRecord | None, t: Translate, *,
    overlay: dict | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Image, clip and hash rows of an alert's evidence (only files actually stored get URLs)."""
    out: dict[str, Any] = {
        "annotated": None,
        "clean": None,
        "clip": None,
        "crop": None,
        "files": [],
        "overlay": overlay,
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
                "kind_label": label(t, "evidence_kind", ref["kind"]),
                "filename": ref["filename"],
                "url": url,
                "size": f"{ref['size_bytes'] / 1024:.0f} KiB",
                "sha256": ref["sha256"],
                "stored": is_stored,
            }
        )
    return out


def merchant_view(merchant: Merchant | None, t: Translate) -> dict[str, Any] | None:
    if merchant is None:
        return None
    return {
        "name": merchant.name,
        "address": merchant.address,
        "responsible_person": merchant.responsible_person,
        "mobile": mask_mobile(merchant.mobile),
        "credit_code": merchant.credit_code,
        "risk_colour": merchant.risk_colour,
        "risk_label": label(t, "colour", merchant.risk_colour),
    }


def merchant_history(
    session: Session, prefix: str, tz: ZoneInfo, case: Case, t: Translate, limit: int = 10
) -> list[dict[str, Any]]:
    rows = case_reads.merchant_cases(session, case=case, limit=limit)
    return [
        {
            "number": c.number,
            "url": f"{prefix}/cases/{c.id}",
            "discovered": local(c.discovered_at, tz),
            "state": c.state,
            "state_label": state_label(c.state, t),
            "track": label(t, "track", c.track),
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
    session: Session, tz: ZoneInfo, now: datetime, t: Translate, *, actor: Actor, limit: int,
    source: str | None = None,
) -> tuple[list[dict[str, Any]], int]:  # fmt: skip
    """Pending cases (of one source, or all), oldest first (``services.cases.list_cases``),
    and how many in all."""
    filters = CaseFilter(state=State.PENDING_REVIEW.value, source=source)
    cases, total = case_service.list_cases(
        session, actor=actor, filters=filters, now=now, oldest_first=True, limit=limit
    )
    items = [
        {
            "case_id": c.id,
            "number": c.number,
            "merchant": c.merchant.name if c.merchant else (c.shop_id or "?"),
            "discovered": local(c.discovered_at, tz),
            "waiting": duration(now - c.discovered_at, t.language),
            "overdue": is_overdue(c, now),
            "source": c.source,
            "source_label": t(f"source.{c.source}"),
        }
        for c in cases
    ]
    return items, total


def dwell_so_far(alert: AlertRecord, now: datetime) -> float:
    """Seconds the goods have stood in the zone: to the episode's end, else to now."""
    end = alert.episode_ended_at or now
    return max(alert.dwell_seconds, (end - alert.episode_started_at).total_seconds())


def _common(
    session: Session, prefix: str, tz: ZoneInfo, now: datetime, case: Case, t: Translate
) -> dict:
    alert = case_reads.first_alert(session, case=case)
    dwell = seconds_text(dwell_so_far(alert, now), t.language) if alert else ""
    overlay = overlay_view(alert, case.zone, t, dwell) if alert else None
    return {
        "case_id": case.id,
        "number": case.number,
        "url": f"{prefix}/cases/{case.id}",
        "state": case.state,
        "state_label": state_label(case.state, t),
        "overdue": is_overdue(case, now),
        "discovered": local(case.discovered_at, tz),
        "place": case.place,
        "camera": _camera_label(session, case),
        "zone": _zone_label(case),
        "merchant": merchant_view(case.merchant, t),
        "history": merchant_history(session, prefix, tz, case, t),
        "evidence": evidence_view(session, prefix, alert, t, overlay=overlay),
        "dwell": dwell,
        "alert": alert,
    }


def panel_view(
    session: Session, prefix: str, tz: ZoneInfo, now: datetime, case: Case, t: Translate
) -> dict:
    """The review panel of one pending alert."""
    view = _common(session, prefix, tz, now, case, t)
    alert: AlertRecord | None = view.pop("alert")
    confirmed = sum(1 for h in view["history"] if h["state"] not in ("rejected", "pending_review"))
    rule = (case.zone.rules or {}).get("dwell_seconds") if case.zone is not None else None
    view.update(
        waiting=duration(now - case.discovered_at, t.language),
        dwell_rule=t("panel.dwell_rule", limit=seconds_text(rule, t.language)) if rule else "",
        objects=[
            {"label": label(t, "object", o.get("class_name")), "score": o.get("score", 0)}
            for o in (alert.objects if alert else [])
        ],
        model=f"{alert.model_name} {alert.model_version}" if alert else "",
        alert_count=case.alert_count,
        history_note=t("panel.history_note", count=confirmed),
        reports=reports_view(session, prefix, tz, case, t),
    )
    return view


def reports_view(
    session: Session, prefix: str, tz: ZoneInfo, case: Case, t: Translate
) -> list[dict[str, Any]]:
    """What residents and the hotline reported about the case (Open311), with their photos;
    no reporter's name or number."""
    out = []
    for r in open311_reads.reports_of_case(session, case_id=case.id):
        service = open311_services.service(r.service_code)
        out.append(
            {
                "id": public_id(r.id),
                "source": t(f"source.{r.source}"),
                "service": service.name if service else r.service_code,
                "description": r.description,
                "at": local(r.requested_at, tz),
                "address": r.address,
                "distance": r.match_distance_m,
                "media_url": r.media_url,
                "photos": [{"url": f"{prefix}/files/{i}", "id": i} for i in r.photo_ids],
            }
        )
    return out


def _events(rows: list, names: Names, tz: ZoneInfo, t: Translate) -> list[dict[str, Any]]:
    return [
        {
            "event": e.event,
            "label": label(t, "event", e.event),
            "from_state": state_label(e.from_state, t) if e.from_state else "",
            "to_state": state_label(e.to_state, t),
            "changed": e.from_state != e.to_state,
            "at": local(e.at, tz),
            "actor": names.of(e.actor_id, e.actor_name),
            "role": label(t, "role", e.actor_role),
            "note": e.note,
        }
        for e in rows
    ]


def _sms_rows(messages: list, tz: ZoneInfo, t: Translate) -> list[dict[str, Any]]:
    return [
        {
            "stage": s.stage,
            "stage_label": label(t, "sms_stage", s.stage.split("-")[0]),
            "recipient": s.recipient,
            "mobile": mask_mobile(s.mobile),
            "provider": label(t, "sms_provider", s.provider),
            "state": s.state,
            "state_label": label(t, "sms_state", s.state),
            "attempts": s.attempts,
            "created": local(s.created_at, tz),
            "sent": local(s.sent_at, tz),
            "delivered": local(s.delivered_at, tz),
            "last_error": sms_error(t, s.last_error),
            "error_detail": s.last_error or "",
            "body": s.body,
        }
        for s in messages
    ]


def _order_rows(
    orders: list, events: list, names: Names, now: datetime, tz: ZoneInfo, t: Translate
) -> list[dict[str, Any]]:
    rows = []
    for w in orders:
        history = [e for e in events if e.subject == "work_order" and e.subject_id == w.id]
        field = [e for e in history if e.actor_role in ("officer", "squad_leader")]
        if w.assignee_id:
            officer = names.of(w.assignee_id)
        else:
            officer = names.of(field[0].actor_id, field[0].actor_name) if field else None
        rows.append(
            {
                "round": w.round,
                "squad": w.squad.name if w.squad else "",
                "officer": officer or {"name": t("case.order_unassigned"), "login": ""},
                "state": w.state,
                "state_label": label(t, "order_state", w.state),
                "deadline": local(w.deadline_at, tz),
                "overdue": w.state in ("open", "acknowledged") and now > w.deadline_at,
                "instructions": w.instructions,
                "timeline": [
                    {
                        "event": e.event,
                        "label": label(t, "order_event", e.event),
                        "at": local(e.at, tz),
                        "actor": names.of(e.actor_id, e.actor_name),
                        "role": label(t, "role", e.actor_role),
                        "note": e.note,
                    }
                    for e in history
                ],
            }
        )
    return rows


def case_view(
    session: Session,
    prefix: str,
    tz: ZoneInfo,
    now: datetime,
    case: Case,
    t: Translate,
    *,
    role: Role,
    workflow: Workflow,
) -> dict[str, Any]:
    """Everything the case page shows."""
    view = _common(session, prefix, tz, now, case, t)
    view.pop("alert")
    penalty = case_service.get_penalty(session, case_id=case.id)
    photos = case_reads.officer_photos(session, case_id=case.id)
    allowed = set(workflow.allowed_events(case, role, now=now))
    overdue = is_overdue(case, now)
    timeline = case_service.timeline(session, case_id=case.id)
    orders = case_reads.orders_of(session, case_id=case.id)
    lifecycle = lifecycle_audit.of_case(session, case_id=case.id)
    names = Names.load(
        session,
        user_ids=[e.actor_id for e in [*timeline, *lifecycle]] + [o.assignee_id for o in orders],
    )
    view.update(
        track=case.track,
        track_label=label(t, "track", case.track),
        source=label(t, "source", case.source),
        handling=duration(handling_time(case, now), t.language),
        overdue_by=duration(now - case.deadline_at, t.language)
        if overdue and case.deadline_at
        else "",
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
        penalty=_penalty_text(penalty, tz, t),
        timeline=_events(timeline, names, tz, t),
        reports=reports_view(session, prefix, tz, case, t),
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
        sms=_sms_rows(case_reads.sms_of(session, case_id=case.id), tz, t),
        work_orders=_order_rows(orders, lifecycle, names, now, tz, t),
        actions=[
            {
                "event": e.value,
                "label": t(f"action.{e.value}"),
                "needs_note": TRANSITIONS[e].needs_note,
                "description": t(f"hint.{e.value}"),
                "style": BUTTON_STYLE.get(e, ""),
            }
            for e in CASE_PAGE_EVENTS
            if e in allowed
        ],
    )
    return view


def _penalty_text(penalty: Penalty | None, tz: ZoneInfo, t: Translate) -> str:
    if penalty is None:
        return ""
    text = t(
        "case.fine_text", amount=f"{penalty.fine_cents / 100:.2f}",
        decided=local(penalty.decided_at, tz),
    )  # fmt: skip
    if penalty.due_at:
        text += t("case.fine_due", due=local(penalty.due_at, tz))
    if penalty.paid_at:
        text += t("case.fine_paid", paid=local(penalty.paid_at, tz))
        if penalty.surcharge_cents:
            text += t("case.fine_surcharge", amount=f"{penalty.surcharge_cents / 100:.2f}")
    return text


def case_rows(
    session: Session,
    prefix: str,
    tz: ZoneInfo,
    now: datetime,
    t: Translate,
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
            "state_label": state_label(c.state, t),
            "merchant": c.merchant.name if c.merchant else (c.shop_id or ""),
            "street": c.street.name if c.street else "",
            "discovered": local(c.discovered_at, tz),
            "handling": duration(handling_time(c, now), t.language),
            "overdue": is_overdue(c, now),
        }
        for c in cases
    ]
    return rows, total
