"""A citizen or hotline report becomes a case, or joins the open case of the same shop.

Everything is checked before anything is written (unknown service, location outside the city,
bad contact fields, oversized or fake photos), so a refused report stores nothing. A report with
coordinates is matched to the nearest registered shop frontage within ``match_radius_m``; when
that shop has an open case discovered within ``link_window_hours`` (from a camera or a citizen)
the report joins it, else it opens a case with source ``citizen`` or ``hotline``, registered for
review. Without a match the case waits for the reviewer to name the shop (:func:`assign_shop`).
``media_url`` is kept as a reference and never fetched. Reports about one shop take the
shop's lock (:func:`lock_shop`) before looking for its open case, so simultaneous reports, on
any replica, open one case and the others join it.
"""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from streetorder.platform.db import Case, CitizenReport, Merchant, Open311Client, Squad
from streetorder.platform.domain.errors import BadRequest, InvalidInput, NotFound
from streetorder.platform.domain.identifiers import normalise_mobile
from streetorder.platform.domain.roles import Actor, Role
from streetorder.platform.domain.workflow import TERMINAL_VALUES, Event
from streetorder.platform.imaging.validate import CleanImage
from streetorder.platform.open311 import catalogue, geo, photos
from streetorder.platform.open311.settings import Open311Settings
from streetorder.platform.services.cases import get_case, transition, write_audit
from streetorder.platform.services.rules import Rules
from streetorder.platform.storage import EvidenceStore

MAX_DESCRIPTION = 4000
MAX_ID = 2**31 - 1  # the id column is a 32-bit integer on PostgreSQL
_NOT_TEXT = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{1,63}$")


@dataclass(frozen=True)
class ReportIn:
    """The fields of a GeoReport v2 ``POST requests`` (strings as received, or None)."""

    service_code: str | None
    lat: str | None = None
    long: str | None = None
    address_string: str | None = None
    address_id: str | None = None
    description: str | None = None
    media_url: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    photos: tuple[photos.Upload, ...] = ()


@dataclass(frozen=True)
class Filed:
    report: CitizenReport
    case: Case
    joined: bool


def public_id(report_id: int) -> str:
    """The ``service_request_id`` of a report."""
    return f"SR{report_id:08d}"


def parse_public_id(text: str) -> int | None:
    match = re.fullmatch(r"SR(\d{1,10})", text.strip())
    value = int(match.group(1)) if match else 0
    return value if 0 < value <= MAX_ID else None


# --- checks (nothing written) ----------------------------------------------------------------


def _text(value: str | None, name: str, limit: int) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if _NOT_TEXT.search(value):  # NUL, control characters: nothing XML or PostgreSQL refuses
        raise BadRequest(f"{name} contains a control character")
    if len(value) > limit:
        raise BadRequest(f"{name} is longer than {limit} characters")
    return value or None


def _coordinates(report: ReportIn, settings: Open311Settings) -> tuple[float | None, float | None]:
    if report.lat is None and report.long is None:
        return None, None
    if report.lat is None or report.long is None:
        raise BadRequest("lat and long must be given together")
    try:
        lat, long = float(report.lat), float(report.long)
    except ValueError:
        raise BadRequest("lat and long must be decimal degrees (WGS-84)") from None
    if not (math.isfinite(lat) and math.isfinite(long)):
        raise BadRequest("lat and long must be finite numbers")
    if not settings.city_bounds.contains(lat, long):
        b = settings.city_bounds
        raise BadRequest(
            f"the location ({lat:.5f}, {long:.5f}) is outside the city "
            f"(lat {b.min_lat}..{b.max_lat}, long {b.min_long}..{b.max_long})"
        )
    return lat, long


def _media_url(value: str | None) -> str | None:
    value = _text(value, "media_url", 2000)
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRequest("media_url must be an http(s) URL")
    return value


def _attributes(service: catalogue.Service, given: dict[str, str]) -> dict[str, str]:
    known = {a.code: a for a in service.attributes}
    out: dict[str, str] = {}
    for code, value in given.items():
        attribute = known.get(code)
        if attribute is None:
            raise BadRequest(f"attribute[{code}] is not defined for service {service.code}")
        allowed = {key for key, _ in attribute.values}
        if allowed and value not in allowed:
            raise BadRequest(f"attribute[{code}] must be one of {', '.join(sorted(allowed))}")
        out[code] = value
    for attribute in service.attributes:
        if attribute.required and attribute.code not in out:
            raise BadRequest(f"attribute[{attribute.code}] is required for {service.code}")
    return out


@dataclass(frozen=True)
class _Checked:
    service: catalogue.Service
    lat: float | None
    long: float | None
    address: str
    description: str
    media_url: str | None
    contact: dict[str, Any]
    attributes: dict[str, str]
    consent: bool
    photos: tuple[tuple[photos.Upload, CleanImage], ...]


def check(report: ReportIn, settings: Open311Settings) -> _Checked:
    """Every check of a report; raises BadRequest (400), PayloadTooLarge (413),
    UnsupportedMediaType (415) or InvalidInput (422) with the reason."""
    code = _text(report.service_code, "service_code", 64)
    if code is None:
        raise BadRequest("service_code is required")
    service = catalogue.service(code)
    if service is None:
        raise BadRequest(f"service_code {code!r} is not a known service (see services.json)")
    lat, long = _coordinates(report, settings)
    address = _text(report.address_string, "address_string", 300) or ""
    if _text(report.address_id, "address_id", 100) and lat is None and not address:
        raise BadRequest("address_id is not supported here: send lat and long or address_string")
    if lat is None and not address:
        raise BadRequest("a location is required: lat and long, or address_string")
    phone = _text(report.phone, "phone", 30)
    if phone is not None:
        try:
            phone = normalise_mobile(phone)
        except InvalidInput as exc:
            raise BadRequest(f"phone: {exc}") from None
    email = _text(report.email, "email", 254)
    if email is not None and not _EMAIL.match(email):
        raise BadRequest("email is not an e-mail address")
    attributes = _attributes(service, report.attributes)
    consent = attributes.get(catalogue.SMS_CONSENT) == "yes"
    if consent and phone is None:
        raise BadRequest("attribute[sms_consent]=yes needs a phone number")
    if len(report.photos) > settings.max_photos:
        raise BadRequest(f"at most {settings.max_photos} photos per report")
    max_bytes = int(settings.photo_max_mb * 1024 * 1024)
    checked_photos = tuple(
        (upload, photos.check(upload, max_bytes=max_bytes, max_pixels=settings.photo_max_pixels,
                              index=i + 1))
        for i, upload in enumerate(report.photos)
    )  # fmt: skip
    contact = {
        "reporter_first_name": _text(report.first_name, "first_name", 100),
        "reporter_last_name": _text(report.last_name, "last_name", 100),
        "reporter_email": email,
        "reporter_phone": phone,
        "device_id": _text(report.device_id, "device_id", 100),
        "account_id": _text(report.account_id, "account_id", 100),
    }
    return _Checked(
        service, lat, long, address, _text(report.description, "description", MAX_DESCRIPTION)
        or "", _media_url(report.media_url), contact, attributes, consent, checked_photos,
    )  # fmt: skip


# --- matching ----------------------------------------------------------------------------------


def nearest_shop(
    session: Session, *, lat: float, long: float, radius_m: float
) -> tuple[Merchant, float] | None:
    """The registered shop nearest to the point within ``radius_m`` (an index on the
    coordinates narrows the search to a box first)."""
    min_lat, max_lat, min_long, max_long = geo.box_around(lat, long, radius_m)
    candidates = session.scalars(
        select(Merchant).where(
            Merchant.latitude.between(min_lat, max_lat),
            Merchant.longitude.between(min_long, max_long),
        )
    )
    best: tuple[Merchant, float] | None = None
    for merchant in candidates:
        assert merchant.latitude is not None and merchant.longitude is not None
        d = geo.distance_m(lat, long, merchant.latitude, merchant.longitude)
        if d <= radius_m and (best is None or (d, merchant.id) < (best[1], best[0].id)):
            best = (merchant, d)
    return best


def lock_shop(session: Session, *, merchant_id: int) -> None:
    """Take the shop's report lock until the transaction ends, so that simultaneous reports
    about one shop decide "join or open" one after the other: the second sees the case the
    first opened. PostgreSQL locks the shop's row ``FOR NO KEY UPDATE`` (reads committed
    after the wait see the first report's case; inserts that refer to the shop, such as a
    camera's case, are not blocked); on SQLite every transaction is ``BEGIN IMMEDIATE``, which
    already serialises writers."""
    session.execute(
        select(Merchant.id).where(Merchant.id == merchant_id).with_for_update(key_share=True)
    )


def open_case_of_shop(session: Session, *, merchant_id: int, since: datetime) -> Case | None:
    """The newest open case of the shop discovered since ``since`` (any source), locked.
    Call :func:`lock_shop` first: the row lock alone does not stop two reports that both
    find no case."""
    return session.scalars(
        select(Case)
        .where(
            Case.merchant_id == merchant_id,
            Case.state.not_in(TERMINAL_VALUES),
            Case.discovered_at >= since,
        )
        .order_by(Case.discovered_at.desc(), Case.id.desc())
        .limit(1)
        .with_for_update()
    ).first()


def _squad_of(session: Session, street_id: int | None) -> int | None:
    if street_id is None:
        return None
    return session.scalar(select(Squad.id).filter_by(street_id=street_id).order_by(Squad.id))


# --- filing ------------------------------------------------------------------------------------


def file_report(
    session: Session, *, report: ReportIn, client: Open311Client | None, rules: Rules,
    settings: Open311Settings, store: EvidenceStore, now: datetime,
) -> Filed:  # fmt: skip
    """Check, then open or join a case, store the photos and the report (one transaction)."""
    checked = check(report, settings)
    source = client.source if client is not None else "citizen"
    actor = Actor(role=Role.SYSTEM, name=f"open311:{client.name}" if client else "open311:citizen")
    match = None
    if checked.lat is not None and checked.long is not None:
        match = nearest_shop(
            session, lat=checked.lat, long=checked.long, radius_m=settings.match_radius_m
        )
    merchant = match[0] if match else None
    case = None
    if merchant is not None:
        since = now - timedelta(hours=settings.link_window_hours)
        lock_shop(session, merchant_id=merchant.id)
        case = open_case_of_shop(session, merchant_id=merchant.id, since=since)
    joined = case is not None
    if case is None:
        case = _open_case(session, checked, merchant, source, actor, rules, now)
    stored = [
        photos.store(session, store=store, case=case, photo=clean, filename=upload.filename,
                     now=now)
        for upload, clean in checked.photos
    ]  # fmt: skip
    row = CitizenReport(
        token=secrets.token_urlsafe(16), service_code=checked.service.code, source=source,
        client_id=client.id if client else None, case_id=case.id, joined_open_case=joined,
        merchant_id=merchant.id if merchant else None,
        match_distance_m=round(match[1], 1) if match else None, requested_at=now,
        latitude=checked.lat, longitude=checked.long, address=checked.address,
        description=checked.description, media_url=checked.media_url,
        photo_ids=[p.id for p in stored], attributes=checked.attributes,
        sms_consent=checked.consent, **checked.contact,
    )  # fmt: skip
    session.add(row)
    session.flush()
    data = {
        "service_request_id": public_id(row.id), "service_code": checked.service.code,
        "source": source, "photos": [{"id": p.id, "sha256": p.sha256} for p in stored],
        "original_sha256": [clean.original_sha256 for _, clean in checked.photos],
        "media_url": checked.media_url, "shop_id": merchant.shop_id if merchant else None,
        "distance_m": row.match_distance_m,
    }  # fmt: skip
    note = f"{checked.service.name}：{checked.description[:200]}".rstrip("：")
    transition(
        session, case=case, event=Event.REPORT, actor=actor, rules=rules, now=now,
        note=note, data=data,
    )  # fmt: skip
    return Filed(row, case, joined)


def _open_case(
    session: Session, checked: _Checked, merchant: Merchant | None, source: str, actor: Actor,
    rules: Rules, now: datetime,
) -> Case:  # fmt: skip
    draft, records = rules.workflow.open(
        discovered_at=now, actor=actor, now=now,
        note=f"{'12345热线' if source == 'hotline' else '市民上报'}：{checked.service.name}",
    )  # fmt: skip
    street_id = merchant.street_id if merchant else None
    place = checked.address or (merchant.address if merchant else "")
    if not place and checked.lat is not None and checked.long is not None:
        place = f"{checked.lat:.5f}, {checked.long:.5f}"
    case = Case(
        **draft.fields(), source=source, merchant_id=merchant.id if merchant else None,
        shop_id=merchant.shop_id if merchant else None, street_id=street_id,
        squad_id=_squad_of(session, street_id), place=place[:300], created_at=now,
        alert_count=0,
    )  # fmt: skip
    session.add(case)
    session.flush()
    for record in records:
        write_audit(session, case=case, record=record)
    return case


def assign_shop(
    session: Session, *, case_id: int, shop_id: str, actor: Actor, rules: Rules, now: datetime
) -> Case:
    """The reviewer names the registered shop of a case that has none yet (or corrects it)
    before confirming; the case moves to the shop's street and squad."""
    case = get_case(session, case_id=case_id, actor=actor, lock=True)
    merchant = session.scalars(select(Merchant).filter_by(shop_id=shop_id.strip())).first()
    if merchant is None:
        raise NotFound(f"shop {shop_id!r} is not registered")
    transition(
        session, case=case, event=Event.ASSIGN_SHOP, actor=actor, rules=rules, now=now,
        note=f"{merchant.name}（{merchant.shop_id}）",
        data={"shop_id": merchant.shop_id, "previous_shop_id": case.shop_id},
    )  # fmt: skip
    case.merchant_id, case.shop_id, case.street_id = (
        merchant.id,
        merchant.shop_id,
        merchant.street_id,
    )
    case.squad_id = _squad_of(session, merchant.street_id)
    if not case.place:
        case.place = merchant.address
    return case


def shop_position(session: Session, *, shop_id: str) -> tuple[float, float] | None:
    """A registered shop's coordinates (None: unknown shop or no coordinates)."""
    row = session.execute(
        select(Merchant.latitude, Merchant.longitude).filter_by(shop_id=shop_id)
    ).first()
    if row is None or row[0] is None or row[1] is None:
        return None
    return float(row[0]), float(row[1])
