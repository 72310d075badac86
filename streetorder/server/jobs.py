"""Both parts' periodic jobs in one thread: the platform's, then the officer app's.

Several replicas may run on one database: each round, only the replica holding the
``periodic-jobs`` lease runs the jobs, so a case is escalated and an SMS sent once, not once per
replica. A replica that dies stops renewing; another takes over when the lease expires.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from streetorder.mobile_api.jobs import run_scheduler
from streetorder.mobile_api.services.retention import forget_case_photos
from streetorder.mobile_api.settings import MobileSettings
from streetorder.platform.db import Database
from streetorder.platform.db.leases import claim_lease, release_lease
from streetorder.platform.open311 import feedback
from streetorder.platform.services import cases, retention, sms
from streetorder.platform.services.retention import RetentionPolicy
from streetorder.platform.services.rules import Rules
from streetorder.platform.settings import RetentionSettings
from streetorder.platform.sms.providers import SmsProvider
from streetorder.platform.storage import EvidenceStore

log = logging.getLogger(__name__)

JOBS_LEASE = "periodic-jobs"


def replica_holder_id() -> str:
    """Unique per process start: host, pid and a random suffix (pids repeat across hosts)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class PeriodicJobs:
    """Every ``interval`` seconds: dispatch notified cases whose grace period ended (notify_first
    streets), escalate overdue first offences, queue the SMS of citizen reporters whose case
    ended, send due SMS (with backoff), update risk colours and create the inspection tasks they
    schedule; with a store and retention settings, delete the evidence files and personal data
    of cases closed longer ago than the retention period (and the app's photos' GPS)."""

    def __init__(
        self, db: Database, rules: Rules, provider: SmsProvider, *,
        mobile: MobileSettings | None = None, interval: float = 15.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        holder: str | None = None, lease_seconds: float | None = None,
        store: EvidenceStore | None = None, retention: RetentionSettings | None = None,
    ) -> None:  # fmt: skip
        self.db, self.rules, self.provider = db, rules, provider
        self.store = store
        self.retention = (
            RetentionPolicy(retention.days_after_closure, retention.batch_cases)
            if retention is not None and retention.enabled and store is not None
            else None
        )
        self.mobile = mobile or MobileSettings()
        self.interval, self.clock = interval, clock
        self.holder = holder or replica_holder_id()
        # Three missed renewals before another replica takes over.
        self.lease = timedelta(seconds=lease_seconds or max(3 * interval, 10.0))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> dict[str, int]:
        now = self.clock()
        with self.db.session() as session:
            dispatched = cases.dispatch_after_grace(session, rules=self.rules, now=now)
            escalated = cases.escalate_overdue(session, rules=self.rules, now=now)
            # Open311 reporters who asked for it hear when their case has ended.
            reporters = feedback.notify_closed_reports(session, rules=self.rules, now=now)
        sent = sms.deliver_due(self.db, provider=self.provider, rules=self.rules, now=now)
        # Risk colours from confirmed cases, and the officers' inspection tasks they schedule.
        scheduled = run_scheduler(self.db, now=now, mobile=self.mobile)
        purged = 0
        if self.retention is not None and self.store is not None:
            with self.db.session() as session:
                records = retention.purge_due(
                    session, store=self.store, policy=self.retention, now=now
                )
                forget_case_photos(session, case_ids=[r.case_id for r in records])
                purged = len(records)
        return {
            "dispatched_after_grace": len(dispatched),
            "escalated": len(escalated),
            "reporter_sms_queued": len(reporters),
            "sms_sent": sent,
            "inspections_created": scheduled.created,
            "colour_changes": scheduled.colour_changes,
            "cases_purged": purged,
        }

    def run_round(self) -> dict[str, int] | None:
        """Run the jobs if this replica holds (or can take) the lease; None when another does."""
        with self.db.session() as session:
            leader = claim_lease(session, JOBS_LEASE, self.holder, now=self.clock(), ttl=self.lease)
        return self.run_once() if leader else None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.run_round()
            except Exception:  # noqa: BLE001 - a failed round is retried next round
                log.exception("periodic jobs failed")

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="server-jobs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        try:
            with self.db.session() as session:
                release_lease(session, JOBS_LEASE, self.holder, now=self.clock())
        except Exception:  # noqa: BLE001 - an unreleased lease only expires later
            log.warning("could not release the %s lease", JOBS_LEASE, exc_info=True)
