"""Ingest use cases: alerts become cases (exactly once per alert id), episode ends, node status.

Alerts are inserted with insert-or-ignore on the unique ``alert_id`` (``ON CONFLICT DO NOTHING``
on both SQLite and PostgreSQL), so however often a message is delivered, and by however many
platform replicas, only the first insert creates a case.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from streetorder.contracts import Alert, Availability, ConfigAck, EpisodeEnd, Heartbeat
from streetorder.i18n import text
from streetorder.platform.db import (
    AlertRecord,
    Camera,
    Case,
    CaseEvent,
    ConfigPushRecord,
    EdgeNode,
    Merchant,
    RejectedMessage,
    Squad,
    Zone,
    bulk,
    rollups,
)
from streetorder.platform.domain.roles import SYSTEM
from streetorder.platform.domain.workflow import AuditRecord, CaseDraft, Event, State, format_local
from streetorder.platform.services.case_audit import audit_values
from streetorder.platform.services.cases import self_correct, transition
from streetorder.platform.services.ingest_trust import content_sha256
from streetorder.platform.services.rules import Rules


@dataclass(frozen=True)
class Placement:
    """Where an alert belongs in the registry (``None``: not registered yet)."""

    zone_id: int | None
    merchant_id: int | None
    street_id: int | None
    squad_id: int | None
    place: str


@dataclass
class IngestOutcome:
    created: list[str] = field(default_factory=list)  # alert ids that opened a case
    attached: list[str] = field(default_factory=list)  # reminders added to an existing case
    duplicates: list[str] = field(default_factory=list)  # already received


def resolve(session: Session, *, node: str, camera: str, zone: str, shop_id: str) -> Placement:
    """Zone binding first (the registry's truth), else the merchant by the alert's shop id."""
    row = session.execute(
        select(Zone.id, Merchant.id, Merchant.street_id, Merchant.address, Camera.address)
        .join(Camera, Zone.camera_id == Camera.id)
        .join(EdgeNode, Camera.node_id == EdgeNode.id)
        .join(Merchant, Zone.merchant_id == Merchant.id)
        .where(EdgeNode.code == node, Camera.code == camera, Zone.code == zone)
    ).first()
    if row is not None:
        zone_id, merchant_id, street_id, address, camera_address = row
    else:
        found = session.execute(
            select(Merchant.id, Merchant.street_id, Merchant.address).filter_by(shop_id=shop_id)
        ).first()
        zone_id = None
        merchant_id, street_id, address = found if found else (None, None, "")
        camera_address = ""
    squad_id = None
    if street_id is not None:
        squad_id = session.scalar(
            select(Squad.id).filter_by(street_id=street_id).order_by(Squad.id)
        )
    return Placement(zone_id, merchant_id, street_id, squad_id, address or camera_address or "")


def _alert_row(alert: Alert, now: datetime) -> dict[str, Any]:
    return {
        "alert_id": alert.alert_id, "node_code": alert.node_id, "camera_code": alert.camera_id,
        "zone_code": alert.zone_id, "shop_id": alert.shop_id,
        "episode_started_at": alert.episode_started_at,
        "threshold_crossed_at": alert.threshold_crossed_at, "dwell_seconds": alert.dwell_seconds,
        "reminder": alert.reminder, "objects": [o.model_dump(mode="json") for o in alert.objects],
        "frame_size": list(alert.frame_size),
        "evidence": [e.model_dump(mode="json") for e in alert.evidence],
        "model_name": alert.model.name, "model_version": alert.model.version,
        "created_at": alert.created_at, "received_at": now,
        "content_sha256": content_sha256(alert),
    }  # fmt: skip


def _episode_case(session: Session, alert: Alert) -> Case | None:
    """The open case of an earlier alert of the same episode, if any (for reminders)."""
    case_id = session.scalar(
        select(AlertRecord.case_id)
        .where(
            AlertRecord.node_code == alert.node_id, AlertRecord.camera_code == alert.camera_id,
            AlertRecord.zone_code == alert.zone_id,
            AlertRecord.episode_started_at == alert.episode_started_at,
            AlertRecord.case_id.is_not(None), AlertRecord.alert_id != alert.alert_id,
        )
        .order_by(AlertRecord.id)
    )  # fmt: skip
    return session.get(Case, case_id) if case_id is not None else None


@dataclass
class _Opened:
    """A case opened in this batch: the workflow's draft, its registry columns, its audit."""

    draft: CaseDraft
    columns: dict[str, Any]
    records: list[AuditRecord]

    def row(self) -> dict[str, Any]:
        return {**self.columns, **self.draft.fields()}


def ingest_alerts(
    session: Session, *, alerts: Sequence[Alert], rules: Rules, now: datetime,
    placements: dict[tuple[str, str, str, str], Placement] | None = None,
) -> IngestOutcome:  # fmt: skip
    """Store alerts and open one case per new alert (a reminder joins its episode's case).

    A few multi-row statements per batch, whatever its size. ``placements`` is an optional
    cache of :func:`resolve` results shared between batches.
    """
    outcome = IngestOutcome()
    unique: dict[str, Alert] = {}
    for alert in alerts:
        unique.setdefault(alert.alert_id, alert)
    inserted = bulk.insert_rows(
        session, AlertRecord.__table__, [_alert_row(a, now) for a in unique.values()],
        returning=("id", "alert_id"), conflict_key="alert_id",
    )  # fmt: skip
    new_ids = {alert_id: pk for pk, alert_id in inserted}
    first_copies: set[str] = set()
    for alert in alerts:  # already stored, or a second copy within this batch
        if alert.alert_id in new_ids and alert.alert_id not in first_copies:
            first_copies.add(alert.alert_id)
        else:
            outcome.duplicates.append(alert.alert_id)
    cache = placements if placements is not None else {}
    new_cases: dict[str, _Opened] = {}  # by alert id
    batch_episodes: dict[tuple[str, str, str, datetime], _Opened] = {}
    attached: list[tuple[int, Case, AuditRecord]] = []  # reminders of cases already stored
    attached_new: list[tuple[int, _Opened]] = []  # reminders of cases opened in this batch
    for alert_id, alert_pk in sorted(new_ids.items(), key=lambda item: unique[item[0]].reminder):
        alert = unique[alert_id]
        episode = (alert.node_id, alert.camera_id, alert.zone_id, alert.episode_started_at)
        if alert.reminder > 0:
            note = f"reminder {alert.reminder}: alert {alert.alert_id}"
            opened = batch_episodes.get(episode)
            if opened is not None:
                opened.columns["alert_count"] += 1
                opened.records.append(
                    rules.workflow.apply(opened.draft, Event.REMINDER, SYSTEM, now=now, note=note)
                )
                attached_new.append((alert_pk, opened))
                outcome.attached.append(alert_id)
                continue
            existing = _episode_case(session, alert)
            if existing is not None:
                existing.alert_count += 1
                record = rules.workflow.apply(existing, Event.REMINDER, SYSTEM, now=now, note=note)
                attached.append((alert_pk, existing, record))
                outcome.attached.append(alert_id)
                continue
        key = (alert.node_id, alert.camera_id, alert.zone_id, alert.shop_id)
        if key not in cache:
            cache[key] = resolve(
                session, node=alert.node_id, camera=alert.camera_id, zone=alert.zone_id,
                shop_id=alert.shop_id,
            )  # fmt: skip
        where = cache[key]
        draft, records = rules.workflow.open(
            discovered_at=alert.threshold_crossed_at, actor=SYSTEM, now=now,
            note=text(
                "note.alert", alert=alert_id,
                where=f"{alert.node_id}/{alert.camera_id}/{alert.zone_id}",
            ),
        )  # fmt: skip
        columns = {
            "alert_id": alert_id, "source": "camera", "merchant_id": where.merchant_id,
            "zone_id": where.zone_id, "street_id": where.street_id, "squad_id": where.squad_id,
            "node_code": alert.node_id, "camera_code": alert.camera_id,
            "zone_code": alert.zone_id, "shop_id": alert.shop_id, "place": where.place,
            "created_at": now, "alert_count": 1,
        }  # fmt: skip
        batch_episodes[episode] = new_cases[alert_id] = _Opened(draft, columns, records)
        outcome.created.append(alert_id)
    rows = [case.row() for case in new_cases.values()]  # as the workflow left them
    case_ids = {
        alert_id: case_id
        for case_id, alert_id in bulk.insert_rows(
            session, Case.__table__, rows, returning=("id", "alert_id")
        )
    }
    rollups.add_inserted(session, rows)
    events: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    for alert_id, case in new_cases.items():
        case_id = case_ids[alert_id]
        links.append({"id": new_ids[alert_id], "case_id": case_id})
        events += [audit_values(case_id, r) for r in case.records]
    for alert_pk, case in attached_new:
        links.append({"id": alert_pk, "case_id": case_ids[case.columns["alert_id"]]})
    for alert_pk, existing, record in attached:
        links.append({"id": alert_pk, "case_id": existing.id})
        events.append(audit_values(existing.id, record))
    bulk.insert_rows(session, CaseEvent.__table__, events)
    bulk.update_rows(session, AlertRecord.__table__, links)
    return outcome


def ingest_episode_end(
    session: Session, *, message: EpisodeEnd, rules: Rules, now: datetime
) -> Literal["stored", "duplicate"] | None:
    """Attach an episode end to the alert and its case (once): ``stored``, ``duplicate`` when
    it was attached before, None when the alert is unknown.

    Its after-frame joins the alert's evidence list (so the edge may upload it under the alert
    id); a case waiting under ``notify_first`` is self-corrected when the frontage cleared
    within its grace period.
    """
    alert = session.scalars(select(AlertRecord).filter_by(alert_id=message.alert_id)).first()
    if alert is None:
        return None
    if alert.episode_ended_at is not None:
        return "duplicate"
    alert.episode_ended_at, alert.clear_seconds = message.ended_at, message.clear_seconds
    known = {ref["filename"] for ref in alert.evidence}
    after = [e.model_dump(mode="json") for e in message.evidence if e.filename not in known]
    if after:
        alert.evidence = [*alert.evidence, *after]
    if alert.case_id is not None:
        case = session.get(Case, alert.case_id, with_for_update=True)
        assert case is not None
        if case.episode_ended_at is None:
            case.episode_ended_at = message.ended_at
            transition(
                session, case=case, event=Event.EPISODE_END, actor=SYSTEM, rules=rules, now=now,
                note=text("note.clear_since", since=format_local(message.ended_at, rules.tz)),
                data={"clear_seconds": message.clear_seconds,
                      "after_frame": after[0]["filename"] if after else None},
            )  # fmt: skip
            if (
                case.state == State.NOTIFIED
                and rules.workflow.refusal(case, Event.SELF_CORRECT, SYSTEM.role, now=now) is None
            ):
                self_correct(session, case=case, rules=rules, now=now)
    return "stored"


def _node(session: Session, code: str) -> EdgeNode | None:
    return session.scalars(select(EdgeNode).filter_by(code=code)).first()


def record_heartbeat(session: Session, *, message: Heartbeat, now: datetime) -> bool:
    node = _node(session, message.node_id)
    if node is None:
        return False
    node.last_seen_at, node.availability = now, "online"
    node.last_heartbeat = message.model_dump(mode="json")
    return True


def record_availability(session: Session, *, message: Availability, now: datetime) -> bool:
    node = _node(session, message.node_id)
    if node is None:
        return False
    node.availability = message.state
    if message.state == "online":
        node.last_seen_at = now
    return True


def record_config_ack(session: Session, *, message: ConfigAck, now: datetime) -> bool:
    node = _node(session, message.node_id)
    if node is None:
        return False
    push = session.scalars(
        select(ConfigPushRecord).filter_by(node_id=node.id, revision=message.revision)
    ).first()
    if push is not None:
        push.ack_accepted, push.ack_reason, push.acked_at = message.accepted, message.reason, now
    node.acked_revision = message.active_revision
    return True


def _printable(text: str) -> str:
    """Text any database stores: NUL (which PostgreSQL refuses) shown as U+FFFD."""
    return text.replace("\x00", "\ufffd")


def _alert_id_of(payload: bytes) -> str | None:
    try:
        raw = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None
    alert_id = raw.get("alert_id") if isinstance(raw, dict) else None
    return _printable(alert_id)[:64] if isinstance(alert_id, str) else None


def record_rejection(
    session: Session,
    *,
    topic: str,
    reason: str,
    payload: bytes,
    now: datetime,
    keep_bytes: int = 65536,
    category: str = "invalid",
) -> None:
    """Keep a refused message: its bytes as received (up to ``keep_bytes``), why, and which
    node and alert id it names (when it does)."""
    kept = payload[:keep_bytes]
    parts = topic.split("/")
    session.add(
        RejectedMessage(
            topic=_printable(topic)[:300], reason=_printable(reason), category=category,
            payload=kept, payload_size=len(payload),
            payload_head=_printable(kept[:2048].decode("utf-8", errors="replace")),
            node_code=_printable(parts[2])[:64] if len(parts) > 2 else None,
            alert_id=_alert_id_of(payload), received_at=now,
        )
    )  # fmt: skip
