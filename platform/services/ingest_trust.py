"""What the ingest believes: an edge message is refused, with a reason, unless

* its node is registered, and (alerts and episode ends) the camera is that node's, the zone
  that camera's and the shop that zone's (the topic's node equals the payload's before this:
  ``ingest/consumer.classify``);
* its times lie within the clock-skew window around the platform's clock;
* an alert id already stored carries the same content (else it is a conflict, kept for the
  administrators).

One registry query per batch; nothing is cached, so a registry change counts at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from streetorder.contracts import Alert, EpisodeEnd
from streetorder.platform.db import AlertRecord, Camera, EdgeNode, Merchant, Zone

INVALID, UNTRUSTED, CLOCK, CONFLICT, ERROR = "invalid", "untrusted", "clock", "conflict", "error"


@dataclass(frozen=True)
class Refusal:
    category: str
    reason: str


@dataclass(frozen=True)
class ClockWindow:
    """Times a message may carry: at most ``behind`` before and ``ahead`` after now."""

    behind: timedelta
    ahead: timedelta

    @classmethod
    def from_settings(cls, ingest) -> ClockWindow:
        return cls(
            behind=timedelta(days=ingest.max_message_age_days),
            ahead=timedelta(seconds=ingest.max_clock_skew_seconds),
        )

    def refusal(self, now: datetime, **times: datetime) -> Refusal | None:
        for name, at in times.items():
            if at > now + self.ahead:
                ahead, most = (at - now).total_seconds(), self.ahead.total_seconds()
                return Refusal(CLOCK, f"{name} {at.isoformat()} is {ahead:.0f} s ahead of the "
                               f"platform's clock (at most {most:.0f} s)")  # fmt: skip
            if at < now - self.behind:
                days = (now - at).total_seconds() / 86400
                return Refusal(CLOCK, f"{name} {at.isoformat()} is {days:.1f} days before the "
                               f"platform's clock (at most {self.behind.days} days)")  # fmt: skip
        return None


def content_sha256(alert: Alert) -> str:
    """The alert's canonical content (its JSON as the contract writes it)."""
    return hashlib.sha256(alert.model_dump_json().encode("utf-8")).hexdigest()


class Registry:
    """The registered cameras, zones and shops of the nodes a batch names."""

    def __init__(self, session: Session, nodes: Iterable[str]) -> None:
        nodes = set(nodes)
        self.nodes: set[str] = set()
        self.cameras: set[tuple[str, str]] = set()
        self.zones: dict[tuple[str, str, str], str] = {}
        if not nodes:  # a batch of heartbeats only: no query
            return
        self.nodes = set(session.scalars(select(EdgeNode.code).where(EdgeNode.code.in_(nodes))))
        rows = session.execute(
            select(EdgeNode.code, Camera.code, Zone.code, Merchant.shop_id)
            .join(Camera, Camera.node_id == EdgeNode.id)
            .outerjoin(Zone, Zone.camera_id == Camera.id)
            .outerjoin(Merchant, Zone.merchant_id == Merchant.id)
            .where(EdgeNode.code.in_(nodes))
        ).all()
        self.cameras = {(node, camera) for node, camera, _, _ in rows}
        self.zones = {(n, c, z): shop for n, c, z, shop in rows if z is not None}

    def refusal(self, node: str, camera: str, zone: str, shop: str) -> Refusal | None:
        if node not in self.nodes:
            return Refusal(UNTRUSTED, f"node {node!r} is not registered")
        if (node, camera) not in self.cameras:
            return Refusal(UNTRUSTED, f"camera {camera!r} is not registered to node {node!r}")
        if (node, camera, zone) not in self.zones:
            return Refusal(UNTRUSTED, f"zone {zone!r} is not registered on camera {node}/{camera}")
        registered = self.zones[(node, camera, zone)]
        if registered != shop:
            return Refusal(UNTRUSTED, f"shop {shop!r} is not the shop of zone {node}/{camera}/"
                           f"{zone} (registered: {registered!r})")  # fmt: skip
        return None


def alert_refusal(
    registry: Registry, window: ClockWindow, alert: Alert, now: datetime
) -> Refusal | None:
    found = registry.refusal(alert.node_id, alert.camera_id, alert.zone_id, alert.shop_id)
    if found is not None:
        return found
    if alert.episode_started_at > alert.threshold_crossed_at:
        return Refusal(CLOCK, "episode_started_at is after threshold_crossed_at")
    return window.refusal(
        now, episode_started_at=alert.episode_started_at,
        threshold_crossed_at=alert.threshold_crossed_at, created_at=alert.created_at,
    )  # fmt: skip


def episode_end_refusal(
    session: Session, registry: Registry, window: ClockWindow, message: EpisodeEnd, now: datetime
) -> Refusal | None:
    """As an alert; and the alert it ends, when stored, must be this node's, camera's, zone's."""
    found = registry.refusal(message.node_id, message.camera_id, message.zone_id, message.shop_id)
    if found is not None:
        return found
    stored = session.execute(
        select(AlertRecord.node_code, AlertRecord.camera_code, AlertRecord.zone_code)
        .filter_by(alert_id=message.alert_id)
    ).first()  # fmt: skip
    claimed = (message.node_id, message.camera_id, message.zone_id)
    if stored is not None and tuple(stored) != claimed:
        return Refusal(UNTRUSTED, f"alert {message.alert_id} is {'/'.join(stored)}'s, "
                       f"not {'/'.join(claimed)}'s")  # fmt: skip
    return window.refusal(now, ended_at=message.ended_at, created_at=message.created_at)


def stored_fingerprints(session: Session, alert_ids: Iterable[str]) -> dict[str, str | None]:
    """alert id → content sha256 of the alerts already stored among ``alert_ids``."""
    ids = list(set(alert_ids))
    found: dict[str, str | None] = {}
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(AlertRecord.alert_id, AlertRecord.content_sha256)
            .where(AlertRecord.alert_id.in_(ids[start : start + 500]))
        )  # fmt: skip
        found.update({alert_id: digest for alert_id, digest in rows})
    return found


def conflict(alert_id: str, stored: str | None, received: str) -> Refusal | None:
    """Another message with a stored alert id: a plain duplicate unless its content differs."""
    if stored is None or stored == received:
        return None
    return Refusal(CONFLICT, f"alert {alert_id} is already stored with other content "
                   f"(stored sha256 {stored[:12]}…, this one {received[:12]}…)")  # fmt: skip
