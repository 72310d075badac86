"""Both parts' periodic jobs in one thread: the platform's, then the officer app's."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from streetorder.mobile_api.jobs import run_scheduler
from streetorder.mobile_api.settings import MobileSettings
from streetorder.platform.db import Database
from streetorder.platform.services import cases, sms
from streetorder.platform.services.rules import Rules
from streetorder.platform.sms.providers import SmsProvider

log = logging.getLogger(__name__)


class PeriodicJobs:
    """Every ``interval`` seconds: dispatch notified cases whose grace period ended (notify_first
    streets), escalate overdue first offences, send due SMS (with backoff), update risk colours
    and create the inspection tasks they schedule."""

    def __init__(
        self, db: Database, rules: Rules, provider: SmsProvider, *,
        mobile: MobileSettings | None = None, interval: float = 15.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:  # fmt: skip
        self.db, self.rules, self.provider = db, rules, provider
        self.mobile = mobile or MobileSettings()
        self.interval, self.clock = interval, clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> dict[str, int]:
        now = self.clock()
        with self.db.session() as session:
            dispatched = cases.dispatch_after_grace(session, rules=self.rules, now=now)
            escalated = cases.escalate_overdue(session, rules=self.rules, now=now)
        sent = sms.deliver_due(self.db, provider=self.provider, rules=self.rules, now=now)
        # Risk colours from confirmed cases, and the officers' inspection tasks they schedule.
        scheduled = run_scheduler(self.db, now=now, mobile=self.mobile)
        return {
            "dispatched_after_grace": len(dispatched),
            "escalated": len(escalated),
            "sms_sent": sent,
            "inspections_created": scheduled.created,
            "colour_changes": scheduled.colour_changes,
        }

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.run_once()
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
