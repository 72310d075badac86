"""The public GET side of GeoReport v2: reports as anyone may see them, without the reporter.

:class:`PublicRequest` holds exactly the standard's request fields; the reporter's name, phone,
e-mail, device and account never enter it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from streetorder.platform.db import Case, CitizenReport, Squad
from streetorder.platform.db.cases import case_number
from streetorder.platform.domain.errors import BadRequest, NotFound
from streetorder.platform.domain.workflow import TERMINAL_VALUES
from streetorder.platform.open311 import catalogue
from streetorder.platform.open311.intake import parse_public_id, public_id
from streetorder.platform.open311.status import open311_status, status_notes

MAX_SPAN = timedelta(days=90)
AGENCY = "城市管理行政执法局"


@dataclass(frozen=True)
class PublicRequest:
    service_request_id: str
    status: str
    status_notes: str
    service_name: str
    service_code: str
    description: str
    agency_responsible: str
    service_notice: str
    requested_datetime: datetime
    updated_datetime: datetime
    expected_datetime: datetime | None
    address: str
    address_id: None
    zipcode: None
    lat: float | None
    long: float | None
    media_url: str | None


@dataclass(frozen=True)
class Query:
    """``GET requests`` filters, checked; ``ids`` overrides every other one (as the standard
    says)."""

    ids: tuple[int, ...] | None = None  # None: not asked; () asked, none valid
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: tuple[str, ...] = ()


def parse_query(
    *, ids: str | None, service_code: str | None, start: datetime | None, end: datetime | None,
    status: str | None,
) -> Query:  # fmt: skip
    """Comma-separated lists as the standard has them; unknown codes and statuses are 400."""
    id_list = None
    if ids is not None and ids.strip():
        id_list = tuple(i for i in (parse_public_id(t) for t in ids.split(",")) if i)
    codes = tuple(c.strip() for c in (service_code or "").split(",") if c.strip())
    unknown = [c for c in codes if catalogue.service(c) is None]
    if unknown:
        raise BadRequest(f"service_code {', '.join(map(repr, unknown))} is not a known service")
    statuses = tuple(s.strip() for s in (status or "").split(",") if s.strip())
    if any(s not in ("open", "closed") for s in statuses):
        raise BadRequest("status must be open or closed (comma-separated)")
    if start is not None and end is not None:
        if end < start:
            raise BadRequest("end_date is before start_date")
        if end - start > MAX_SPAN:
            raise BadRequest("start_date to end_date may span at most 90 days")
    return Query(id_list, codes, start, end, statuses)


def _period(query: Query, now: datetime) -> tuple[datetime, datetime]:
    """The standard's default: the most recent 90 days; one end given, 90 days from it."""
    if query.start is not None and query.end is not None:
        return query.start, query.end
    if query.start is not None:
        return query.start, query.start + MAX_SPAN
    end = query.end if query.end is not None else now
    return end - MAX_SPAN, end


def _joined() -> Select:
    return (
        select(CitizenReport, Case, Squad.name)
        .join(Case, Case.id == CitizenReport.case_id)
        .outerjoin(Squad, Squad.id == Case.squad_id)
    )


def find(session: Session, *, query: Query, now: datetime, limit: int) -> list[PublicRequest]:
    """Reports by the filters, newest first, at most ``limit``."""
    stmt = _joined()
    if query.ids is not None:
        stmt = stmt.where(CitizenReport.id.in_(query.ids))
    else:
        start, end = _period(query, now)
        stmt = stmt.where(CitizenReport.requested_at >= start, CitizenReport.requested_at <= end)
        if query.service_codes:
            stmt = stmt.where(CitizenReport.service_code.in_(query.service_codes))
        if set(query.statuses) == {"closed"}:
            stmt = stmt.where(Case.state.in_(TERMINAL_VALUES))
        elif set(query.statuses) == {"open"}:
            stmt = stmt.where(Case.state.not_in(TERMINAL_VALUES))
    stmt = stmt.order_by(CitizenReport.requested_at.desc(), CitizenReport.id.desc()).limit(limit)
    return [public(r, c, squad) for r, c, squad in session.execute(stmt)]


def one(session: Session, *, service_request_id: str) -> PublicRequest:
    report_id = parse_public_id(service_request_id)
    row = None
    if report_id is not None:
        row = session.execute(_joined().where(CitizenReport.id == report_id)).first()
    if row is None:
        raise NotFound(f"service_request_id {service_request_id!r} not found")
    return public(*row)


def by_token(session: Session, *, token: str) -> str:
    """The ``service_request_id`` a token stands for."""
    report_id = None
    if "\x00" not in token and len(token) <= 32:  # no NUL reaches PostgreSQL
        report_id = session.scalar(select(CitizenReport.id).filter_by(token=token))
    if report_id is None:
        raise NotFound("token not found")
    return public_id(report_id)


def public(report: CitizenReport, case: Case, squad_name: str | None) -> PublicRequest:
    service = catalogue.service(report.service_code)
    open_ = open311_status(case.state) == "open"
    return PublicRequest(
        service_request_id=public_id(report.id),
        status=open311_status(case.state),
        status_notes=status_notes(
            case.state, joined=report.joined_open_case, case_number=case_number(case.id)
        ),
        service_name=service.name if service else report.service_code,
        service_code=report.service_code,
        description=report.description,
        agency_responsible=squad_name or AGENCY,
        service_notice="",
        requested_datetime=report.requested_at,
        updated_datetime=max(case.updated_at, report.requested_at),
        expected_datetime=case.deadline_at if open_ else None,
        address=report.address or case.place,
        address_id=None,
        zipcode=None,
        lat=report.latitude,
        long=report.longitude,
        media_url=report.media_url,
    )


def reports_of_case(session: Session, *, case_id: int) -> list[CitizenReport]:
    """Every report of a case, oldest first (for the command centre, not for the public)."""
    return list(
        session.scalars(select(CitizenReport).filter_by(case_id=case_id).order_by(CitizenReport.id))
    )
