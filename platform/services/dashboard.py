"""The command-centre screen's figures for a period: from the hourly rollups, or by a scan.

Every figure counts the cases *discovered* in ``[start, end)``; a yellow light is an open case
whose current step is past its time limit at ``as_of`` (``workflow.is_overdue``), urged cases are
those urged at least once, and the average handling time is over the cases closed (by the
command centre, state ``closed``) from discovery to closure (whole seconds); *corrected in time*
(quick disposal) counts cases rectified by their correction deadline; *self-corrected* counts
cases the camera saw cleared before any work order (``notify_first``), each an officer trip saved.

A period of whole UTC hours (every local day of a whole-hour time zone) is read from
``case_rollups`` (``db/rollups.py``): ~9,000 rows for a year whatever the number of cases; only
the yellow lights, which depend on ``as_of``, are counted live from the open cases (an index on
state and deadline). Any other period scans the cases, with the same definitions.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from streetorder.platform.db import Case, CaseRollup, Street
from streetorder.platform.db.cases import yellow_light
from streetorder.platform.domain.workflow import State

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
    self_corrected: int
    closed: int
    rejected: int
    corrected_in_time: int
    average_handling: timedelta | None
    per_day: dict[date, int] = field(default_factory=dict)
    #: average handling time of the closed cases of each source (camera, citizen, hotline)
    handling_by_source: dict[str, timedelta] = field(default_factory=dict)

    @property
    def officer_trips_saved(self) -> int:
        """Cases closed out without sending anyone: one trip each, at least."""
        return self.self_corrected

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
            "self_corrected": self.self_corrected,
            "officer_trips_saved": self.officer_trips_saved,
            "closed": self.closed,
            "rejected": self.rejected,
            "corrected_in_time": self.corrected_in_time,
            "average_handling_seconds": None if avg is None else round(avg.total_seconds()),
            "per_day": {d.isoformat(): n for d, n in self.per_day.items()},
            "average_handling_seconds_by_source": {
                source: round(span.total_seconds())
                for source, span in self.handling_by_source.items()
            },
        }


#: Per (street, state, source): cases, urged, confirmed, dispatched, self-corrected, in time.
Group = tuple[str, str, str, int, int, int, int, int, int]


def _whole_hour(moment: datetime) -> bool:
    return moment.utcoffset() is not None and moment.timestamp() % 3600 == 0


def compute_stats(
    session: Session, *, start: datetime, end: datetime, as_of: datetime, tz: ZoneInfo,
    use_rollups: bool = True,
) -> DashboardStats:  # fmt: skip
    """All figures of the screen for cases discovered in ``[start, end)``."""
    if end <= start:
        raise ValueError("the period must end after it starts")
    if use_rollups and _whole_hour(start) and _whole_hour(end):
        groups, handling, buckets = _rollup_groups(session, start, end, tz)
        per_day = _days(start, end, tz, buckets)
    else:
        groups, handling, per_day = _scan_groups(session, start, end, tz)
    by_stage: Counter[str] = Counter()
    by_source: Counter[str] = Counter()
    by_street: Counter[str] = Counter()
    closed_by_source: Counter[str] = Counter()
    urged = confirmed = dispatched = self_corrected = corrected = 0
    for street, state, source, n, n_urged, n_confirmed, n_dispatched, n_self, n_in_time in groups:
        by_stage[state] += n
        by_source[source] += n
        by_street[street] += n
        if state == State.CLOSED.value:
            closed_by_source[source] += n
        urged += n_urged
        confirmed += n_confirmed
        dispatched += n_dispatched
        self_corrected += n_self
        corrected += n_in_time
    yellow_by_street = _yellow_by_street(session, start, end, as_of)
    closed = by_stage[State.CLOSED.value]
    return DashboardStats(
        start=start,
        end=end,
        as_of=as_of,
        total=sum(by_stage.values()),
        by_stage={s.value: by_stage[s.value] for s in State if by_stage[s.value]},
        by_source=_sorted(by_source),
        by_street=_sorted(+by_street),
        yellow_lights=sum(yellow_by_street.values()),
        yellow_by_street=_sorted(yellow_by_street),
        urged=urged,
        confirmed=confirmed,
        dispatched=dispatched,
        self_corrected=self_corrected,
        closed=closed,
        rejected=by_stage[State.REJECTED.value],
        corrected_in_time=corrected,
        average_handling=timedelta(seconds=round(handling.total() / closed)) if closed else None,
        per_day=per_day,
        handling_by_source={
            source: timedelta(seconds=round(handling[source] / n))
            for source, n in sorted(closed_by_source.items())
        },
    )


def _street_names(session: Session) -> dict[int, str]:
    return {street_id: name for street_id, name in session.execute(select(Street.id, Street.name))}


def _rollup_groups(
    session: Session, start: datetime, end: datetime, tz: ZoneInfo
) -> tuple[list[Group], Counter[str], list[tuple[date | datetime, int]]]:
    """One pass over the period's rollup rows: the sums per street, state and source, the
    handling seconds of its closed cases per source, and new cases per local day (PostgreSQL
    groups by day; SQLite, without time zones in SQL, by hour)."""
    r = CaseRollup
    if session.get_bind().dialect.name == "postgresql":
        bucket = func.date(func.timezone(str(tz), r.hour))
    else:
        bucket = r.hour
    rows = session.execute(
        select(
            bucket, r.street_id, r.state, r.source, func.sum(r.cases), func.sum(r.urged),
            func.sum(r.confirmed), func.sum(r.dispatched), func.sum(r.self_corrected),
            func.sum(r.corrected_in_time), func.sum(r.handling_seconds),
        )
        .where(r.hour >= start, r.hour < end)
        .group_by(bucket, r.street_id, r.state, r.source)
    ).all()  # fmt: skip
    names = _street_names(session)
    sums: dict[tuple[str, str, str], list[int]] = {}
    per_bucket: Counter[date | datetime] = Counter()
    handling: Counter[str] = Counter()
    for when, street_id, state, source, *values in rows:
        n, *flags, seconds = (int(v) for v in values)
        if n == 0:
            continue
        per_bucket[when] += n
        key = (names.get(street_id, UNASSIGNED), state, source)
        total = sums.setdefault(key, [0] * 6)
        for i, v in enumerate((n, *flags)):
            total[i] += v
        if state == State.CLOSED.value:
            handling[source] += seconds
    groups: list[Group] = [(*key, *values) for key, values in sums.items()]  # type: ignore[misc]
    return groups, handling, list(per_bucket.items())


def _scan_groups(
    session: Session, start: datetime, end: datetime, tz: ZoneInfo
) -> tuple[list[Group], Counter[str], dict[date, int]]:
    """The same sums by one scan of the period's cases (any period)."""
    where = [Case.discovered_at >= start, Case.discovered_at < end]
    street_name = func.coalesce(Street.name, UNASSIGNED)

    def flag(condition: ColumnElement[bool]):
        return func.sum(case((condition, 1), else_=0))

    rows = session.execute(
        select(
            street_name, Case.state, Case.source, func.count(),
            flag(Case.urge_count > 0), flag(Case.confirmed_at.is_not(None)),
            flag(Case.dispatched_at.is_not(None)), flag(Case.self_corrected_at.is_not(None)),
            flag(Case.rectified_at <= Case.rectify_deadline_at),
        )
        .select_from(Case)
        .outerjoin(Street, Street.id == Case.street_id)
        .where(*where)
        .group_by(street_name, Case.state, Case.source)
    ).all()  # fmt: skip
    groups: list[Group] = [
        (str(street), state, source, *(int(v or 0) for v in sums))  # type: ignore[misc]
        for street, state, source, *sums in rows
    ]
    handling: Counter[str] = Counter()
    closed = select(Case.source, Case.discovered_at, Case.closed_at).where(
        *where, Case.state == State.CLOSED.value, Case.closed_at.is_not(None)
    )
    for source, discovered, closed_at in session.execute(closed):
        handling[source] += max(0, (closed_at - discovered) // timedelta(seconds=1))
    moments = session.scalars(select(Case.discovered_at).where(*where))
    per_day = _days(start, end, tz, [(m, 1) for m in moments])
    return groups, handling, per_day


def _yellow_by_street(
    session: Session, start: datetime, end: datetime, as_of: datetime
) -> Counter[str]:
    """Open cases of the period past their step's time limit at ``as_of``, per street."""
    street_name = func.coalesce(Street.name, UNASSIGNED)
    rows = session.execute(
        select(street_name, func.count())
        .select_from(Case)
        .outerjoin(Street, Street.id == Case.street_id)
        .where(
            yellow_light(as_of),  # the partial index's predicate as written: an index-only scan
            Case.discovered_at >= start,
            Case.discovered_at < end,
        )
        .group_by(street_name)
    )
    return Counter({str(street): int(n) for street, n in rows})


def _days(
    start: datetime, end: datetime, tz: ZoneInfo, counts: list[tuple[date | datetime, int]]
) -> dict[date, int]:
    """Counts per local day of the city (every day of the period, zeros included); a count is
    at a moment, or already on its local day."""
    per_day: dict[date, int] = {}
    day = start.astimezone(tz).date()
    while datetime.combine(day, datetime.min.time(), tz) < end:
        per_day[day] = 0
        day += timedelta(days=1)
    for moment, n in counts:
        local = moment.astimezone(tz).date() if isinstance(moment, datetime) else moment
        per_day[local] = per_day.get(local, 0) + n
    return dict(sorted(per_day.items()))


def _sorted(counts: Counter[str]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=_by_count))


def _by_count(item: tuple[str, int]) -> tuple[int, str]:
    return (-item[1], item[0])


def local_period(days: int, now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The last ``days`` whole local days up to the end of today, in the city's time zone."""
    if days < 1:
        raise ValueError("days must be >= 1")
    today = now.astimezone(tz).date()
    end = datetime.combine(today + timedelta(days=1), datetime.min.time(), tz)
    return end - timedelta(days=days), end
