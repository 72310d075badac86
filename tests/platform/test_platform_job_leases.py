"""Periodic jobs run on one replica at a time: the lease in the shared database decides."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select

from streetorder.platform.db import Case, SmsMessage
from streetorder.platform.db.leases import claim_lease
from streetorder.platform.domain.roles import Role
from streetorder.platform.domain.workflow import Actor
from streetorder.platform.services import cases
from streetorder.platform.sms.providers import OutboxProvider
from streetorder.server.jobs import PeriodicJobs

TTL = timedelta(seconds=30)


def test_one_replica_runs_the_jobs_and_another_takes_over_when_it_dies(platform) -> None:
    p = platform
    alert = p.alerts()
    p.deliver(alert)
    with p.db.session() as session:
        case_id = session.scalars(select(Case.id)).one()
        cases.confirm(session, case_id=case_id, actor=Actor(Role.REVIEWER, "reviewer"),
                      rules=p.rules, now=p.clock.now)  # fmt: skip
    outbox = OutboxProvider()
    a = PeriodicJobs(p.db, p.rules, outbox, clock=p.clock, holder="replica-a", lease_seconds=30)
    b = PeriodicJobs(p.db, p.rules, outbox, clock=p.clock, holder="replica-b", lease_seconds=30)

    first = a.run_round()
    assert first is not None and first["sms_sent"] == 1
    assert b.run_round() is None  # a holds the lease: b does not send the SMS again
    p.clock.advance(seconds=20)
    assert a.run_round() is not None and b.run_round() is None  # a renewed in time

    p.clock.advance(seconds=31)  # a died: its lease ran out without renewal
    assert b.run_round() is not None
    assert a.run_round() is None  # a came back: b keeps the lease it took

    b.stop()  # a clean shutdown hands the lease over at once
    assert a.run_round() is not None
    with p.db.session() as session:
        states = session.scalars(select(SmsMessage.state).where(SmsMessage.case_id == case_id))
        assert list(states) == ["sent"]  # one SMS across both replicas


def test_racing_replicas_never_both_win(platform) -> None:
    p = platform
    for round_no in range(6):
        now = p.clock.now + round_no * 2 * TTL  # every round starts after the last lease expired
        winners: list[str] = []
        barrier = threading.Barrier(4)

        def race(holder: str, at=now, barrier=barrier, winners=winners) -> None:
            barrier.wait()
            with p.db.session() as session:
                if claim_lease(session, "race", holder, now=at, ttl=TTL):
                    winners.append(holder)

        threads = [threading.Thread(target=race, args=(f"r{i}",)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert len(winners) == 1, winners
