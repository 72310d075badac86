"""The command-centre screen's figures for a period, read with aggregate queries.

Every figure counts the cases *discovered* in ``[start, end)``; a yellow light is an open case
whose current step is past its time limit at ``as_of`` (``workflow.is_overdue``), urged cases are
those urged at least once, and the average handling time is over the cases closed (by the
command centre, state ``closed``) from discovery to closure; *corrected in time* (quick
disposal) counts cases rectified by their correction deadline.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, select
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

    def flag(condition: ColumnElement[bool]):
        return func.sum(case((condition, 1), else_=0))

    # One scan of the period, grouped small: every figure but the averages and days adds up.
    rows = session.execute(
        select(
            street_name,
            Case.state,
            Case.source,
            func.count(),
            flag(_overdue(as_of)),
            flag(Case.urge_count > 0),
            flag(Case.confirmed_at.is_not(None)),
            flag(
                and_(
                    Case.rectified_at.is_not(None),
                    Case.rectify_deadline_at.is_not(None),
                    Case.rectified_at <= Case.rectify_deadline_at,
                )
            ),
        )
        .select_from(Case)
        .outerjoin(Street, Street.id == Case.street_id)
        .where(*where)
        .group_by(street_name, Case.state, Case.source)
    ).all()
    by_stage: Counter[str] = Counter()
    by_source: Counter[str] = Counter()
    by_street: Counter[str] = Counter()
    yellow_by_street: Counter[str] = Counter()
    urged = confirmed = dispatched = corrected = 0
    not_dispatched = {State.CONFIRMED.value, State.REJECTED.value}
    for street, state, source, n, yellow, n_urged, n_confirmed, n_corrected in rows:
        n, yellow = int(n), int(yellow or 0)
        by_stage[state] += n
        by_source[source] += n
        by_street[str(street)] += n
        if yellow:
            yellow_by_street[str(street)] += yellow
        urged += int(n_urged or 0)
        confirmed += int(n_confirmed or 0)
        corrected += int(n_corrected or 0)
        if state not in not_dispatched:
            dispatched += int(n_confirmed or 0)
    return DashboardStats(
        start=start,
        end=end,
        as_of=as_of,
        total=sum(by_stage.values()),
        by_stage={s.value: by_stage[s.value] for s in State if by_stage[s.value]},
        by_source=dict(sorted(by_source.items(), key=_by_count)),
        by_street=dict(sorted(by_street.items(), key=_by_count)),
        yellow_lights=sum(yellow_by_street.values()),
        yellow_by_street=dict(sorted(yellow_by_street.items(), key=_by_count)),
        urged=urged,
        confirmed=confirmed,
        dispatched=dispatched,
        closed=by_stage[State.CLOSED.value],
        rejected=by_stage[State.REJECTED.value],
        corrected_in_time=corrected,
        average_handling=_average_handling(session, where),
        per_day=_per_day(session, where, start, end, tz),
    )


def _per_day(session: Session, where, start: datetime, end: datetime, tz: ZoneInfo):
    """New cases per local day of the city (every day of the period, zeros included)."""
    per_day: dict[date, int] = {}
    day = start.astimezone(tz).date()
    while datetime.combine(day, datetime.min.time(), tz) < end:
        per_day[day] = 0
        day += timedelta(days=1)
    if session.get_bind().dialect.name == "postgresql":
        local_day = func.date(func.timezone(str(tz), Case.discovered_at))
        for d, n in session.execute(
            select(local_day, func.count()).where(*where).group_by(local_day)
        ):
            per_day[d] = per_day.get(d, 0) + int(n)
    else:  # SQLite (development): no time zones in SQL, bucket in Python
        for (discovered,) in session.execute(select(Case.discovered_at).where(*where)):
            local = discovered.astimezone(tz).date()
            per_day[local] = per_day.get(local, 0) + 1
    return dict(sorted(per_day.items()))


def _by_count(item: tuple[str, int]) -> tuple[int, str]:
    return (-item[1], item[0])


def local_period(days: int, now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The last ``days`` whole local days up to the end of today, in the city's time zone."""
    if days < 1:
        raise ValueError("days must be >= 1")
    today = now.astimezone(tz).date()
    end = datetime.combine(today + timedelta(days=1), datetime.min.time(), tz)
    return end - timedelta(days=days), end
