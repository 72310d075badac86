"""The command-centre screen's figures for a period, read with aggregate queries.

Every figure counts the cases *discovered* in ``[start, end)``; a yellow light is an open case
whose current step is past its time limit at ``as_of`` (``workflow.is_overdue``), urged cases are
those urged at least once, and the average handling time is over the cases closed (by the
command centre, state ``closed``) from discovery to closure; *corrected in time* (quick
disposal) counts cases rectified by their correction deadline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from streetorder.platform.db import Case, Street
from streetorder.platform.domain.workflow import TERMINAL, State

UNASSIGNED = "(no street)"


@dataclass(frozen=True)
class DashboardStats:
    start: datetime
    end: datetime
    as_of: datetime
    total: int
    by_stage: dict[str, int]
    by_source: dict[str, int]
    by_street: dict[str, int]
    yellow_lights: int
    yellow_by_street: dict[str, int]
    urged: int
    confirmed: int
    dispatched: int
    closed: int
    rejected: int
    corrected_in_time: int
    average_handling: timedelta | None
    per_day: dict[date, int] = field(default_factory=dict)

    def as_json(self) -> dict:
        avg = self.average_handling
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "as_of": self.as_of.isoformat(),
            "total": self.total,
            "by_stage": self.by_stage,
            "by_source": self.by_source,
            "by_street": self.by_street,
            "yellow_lights": self.yellow_lights,
            "yellow_by_street": self.yellow_by_street,
            "urged": self.urged,
            "confirmed": self.confirmed,
            "dispatched": self.dispatched,
            "closed": self.closed,
            "rejected": self.rejected,
            "corrected_in_time": self.corrected_in_time,
            "average_handling_seconds": None if avg is None else round(avg.total_seconds()),
            "per_day": {d.isoformat(): n for d, n in self.per_day.items()},
        }


def _overdue(as_of: datetime) -> ColumnElement[bool]:
    return and_(
        Case.state.not_in([s.value for s in TERMINAL]),
        Case.deadline_at.is_not(None),
        Case.deadline_at < as_of,
    )


def _grouped(session: Session, column, where) -> dict[str, int]:
    rows = session.execute(select(column, func.count()).where(*where).group_by(column)).all()
    return {str(key): int(n) for key, n in rows}


def _average_handling(session: Session, where) -> timedelta | None:
    closed = [*where, Case.state == State.CLOSED.value, Case.closed_at.is_not(None)]
    if session.get_bind().dialect.name == "sqlite":
        seconds = (func.julianday(Case.closed_at) - func.julianday(Case.discovered_at)) * 86400.0
    else:
        seconds = func.extract("epoch", Case.closed_at - Case.discovered_at)
    value = session.execute(select(func.avg(seconds)).where(*closed)).scalar()
    return None if value is None else timedelta(seconds=round(float(value)))


def compute_stats(
    session: Session, *, start: datetime, end: datetime, as_of: datetime, tz: ZoneInfo
) -> DashboardStats:
    """All figures of the screen for cases discovered in ``[start, end)``."""
    if end <= start:
        raise ValueError("the period must end after it starts")
    where = [Case.discovered_at >= start, Case.discovered_at < end]
    street_name = func.coalesce(Street.name, UNASSIGNED)
    by_street_rows = session.execute(
        select(street_name, func.count())
        .select_from(Case)
        .outerjoin(Street, Street.id == Case.street_id)
        .where(*where)
        .group_by(street_name)
    ).all()
    yellow_rows = session.execute(
        select(street_name, func.count())
        .select_from(Case)
        .outerjoin(Street, Street.id == Case.street_id)
        .where(*where, _overdue(as_of))
        .group_by(street_name)
    ).all()

    def count(*extra) -> int:
        return int(session.execute(select(func.count()).where(*where, *extra)).scalar() or 0)

    per_day: dict[date, int] = {}
    day = start.astimezone(tz).date()
    while datetime.combine(day, datetime.min.time(), tz) < end:
        per_day[day] = 0
        day += timedelta(days=1)
    for (discovered,) in session.execute(select(Case.discovered_at).where(*where)):
        local = discovered.astimezone(tz).date()
        per_day[local] = per_day.get(local, 0) + 1
    by_stage = _grouped(session, Case.state, where)
    return DashboardStats(
        start=start,
        end=end,
        as_of=as_of,
        total=count(),
        by_stage={s.value: by_stage.get(s.value, 0) for s in State if by_stage.get(s.value)},
        by_source=_grouped(session, Case.source, where),
        by_street=dict(sorted(((str(k), int(n)) for k, n in by_street_rows), key=_by_count)),
        yellow_lights=count(_overdue(as_of)),
        yellow_by_street=dict(sorted(((str(k), int(n)) for k, n in yellow_rows), key=_by_count)),
        urged=count(Case.urge_count > 0),
        confirmed=count(Case.confirmed_at.is_not(None)),
        dispatched=count(
            Case.confirmed_at.is_not(None),
            Case.state.not_in([State.CONFIRMED.value, State.REJECTED.value]),
        ),
        closed=count(Case.state == State.CLOSED.value),
        rejected=count(Case.state == State.REJECTED.value),
        corrected_in_time=count(
            Case.rectified_at.is_not(None),
            Case.rectify_deadline_at.is_not(None),
            Case.rectified_at <= Case.rectify_deadline_at,
        ),
        average_handling=_average_handling(session, where),
        per_day=dict(sorted(per_day.items())),
    )


def _by_count(item: tuple[str, int]) -> tuple[int, str]:
    return (-item[1], item[0])


def local_period(days: int, now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The last ``days`` whole local days up to the end of today, in the city's time zone."""
    if days < 1:
        raise ValueError("days must be >= 1")
    today = now.astimezone(tz).date()
    end = datetime.combine(today + timedelta(days=1), datetime.min.time(), tz)
    return end - timedelta(days=days), end
