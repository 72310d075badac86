"""What one case adds to the command-centre figures (pure; the rollups sum it).

A case counts in one bucket: the UTC hour of its discovery, its street, source and state. Inside
the bucket it adds 1 to ``cases`` and to each flag that holds for it, and its handling time
(whole seconds, rounded down) once it is closed. When a case changes, the rollups subtract its old
contribution and add the new one, so the sums always equal a recount of the case table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple, Protocol

from streetorder.platform.domain.workflow import State

NO_STREET = 0  # the street key of a case not (yet) placed on a street


class CaseFacts(Protocol):
    """The case fields the figures read (the ORM ``Case`` satisfies it)."""

    state: str
    source: str
    street_id: int | None
    discovered_at: datetime
    urge_count: int
    confirmed_at: datetime | None
    dispatched_at: datetime | None
    self_corrected_at: datetime | None
    rectified_at: datetime | None
    rectify_deadline_at: datetime | None
    closed_at: datetime | None


class BucketKey(NamedTuple):
    hour: datetime  # aware UTC, truncated to the hour
    street_id: int  # NO_STREET when unplaced
    source: str
    state: str


#: The counters of a bucket, in the order of :class:`Counters`' fields.
COUNTERS = (
    "cases",
    "urged",
    "confirmed",
    "dispatched",
    "self_corrected",
    "corrected_in_time",
    "handling_seconds",
)


@dataclass(frozen=True)
class Counters:
    cases: int = 0
    urged: int = 0
    confirmed: int = 0
    dispatched: int = 0
    self_corrected: int = 0
    corrected_in_time: int = 0
    handling_seconds: int = 0  # of closed cases, discovery to closure

    def values(self) -> tuple[int, ...]:
        return tuple(getattr(self, name) for name in COUNTERS)


def hour_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def bucket_key(case: CaseFacts) -> BucketKey:
    street = case.street_id if case.street_id is not None else NO_STREET
    return BucketKey(hour_of(case.discovered_at), street, case.source, case.state)


def counters(case: CaseFacts) -> Counters:
    handling = 0
    if case.state == State.CLOSED and case.closed_at is not None:
        handling = max(0, (case.closed_at - case.discovered_at) // timedelta(seconds=1))
    in_time = (
        case.rectified_at is not None
        and case.rectify_deadline_at is not None
        and case.rectified_at <= case.rectify_deadline_at
    )
    return Counters(
        cases=1,
        urged=int(case.urge_count > 0),
        confirmed=int(case.confirmed_at is not None),
        dispatched=int(case.dispatched_at is not None),
        self_corrected=int(case.self_corrected_at is not None),
        corrected_in_time=int(in_time),
        handling_seconds=handling,
    )


def contribution(case: CaseFacts) -> tuple[BucketKey, tuple[int, ...]]:
    """The bucket of a case and what it adds there."""
    return bucket_key(case), counters(case).values()
