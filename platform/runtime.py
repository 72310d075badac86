"""The platform's composition root: database, MQTT consumer and publisher, periodic jobs, API.

``start()`` runs the steps in order and ``stop()`` undoes them in reverse, so ``serve``, the demo
and tests share one way of running the whole platform.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import FastAPI

from streetorder.platform.db import Database
from streetorder.platform.services import cases, sms
from streetorder.platform.services.rules import Rules
from streetorder.platform.settings import PlatformSettings
from streetorder.platform.sms.providers import SmsProvider, make_provider

log = logging.getLogger(__name__)


class PeriodicJobs:
    """Every ``interval`` seconds: escalate overdue first offences, send due SMS (with backoff),
    update risk colours and create the inspection tasks they schedule."""

    def __init__(
        self, db: Database, rules: Rules, provider: SmsProvider, *, interval: float = 15.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:  # fmt: skip
        self.db, self.rules, self.provider, self.interval, self.clock = (
            db,
            rules,
            provider,
            interval,
            clock,
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> dict[str, int]:
        now = self.clock()
        with self.db.session() as session:
            escalated = cases.escalate_overdue(session, rules=self.rules, now=now)
        sent = sms.deliver_due(self.db, provider=self.provider, rules=self.rules, now=now)
        # Risk colours from confirmed cases, and the officers' inspection tasks they schedule.
        from streetorder.mobile_api.jobs import run_scheduler

        scheduled = run_scheduler(self.db, now=now)
        return {
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
        self._thread = threading.Thread(target=self._run, name="platform-jobs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)


class PlatformRuntime:
    def __init__(
        self, settings: PlatformSettings, *, ingest: bool = True, jobs: bool = True
    ) -> None:
        self.settings = settings
        self.want_ingest, self.want_jobs = ingest, jobs
        self.db: Database | None = None
        self.consumer = None
        self.publisher = None
        self.jobs: PeriodicJobs | None = None
        self.app: FastAPI | None = None

    def start(self) -> FastAPI:
        from streetorder.platform.api import create_app

        s = self.settings
        self.db = Database(s.database_url)
        rules = Rules.from_settings(s)
        provider = make_provider(s)
        if s.broker is not None:
            from streetorder.platform.ingest.mqtt import MqttPublisher

            self.publisher = MqttPublisher(s.broker)
            if self.want_ingest:
                from streetorder.platform.ingest.consumer import (
                    IngestConsumer,
                    replica_client_id,
                )

                self.consumer = IngestConsumer(
                    s.broker, self.db, rules, settings=s.ingest,
                    client_id=replica_client_id(s.broker, s.ingest),
                )  # fmt: skip
                self.consumer.start()
        if self.want_jobs:
            self.jobs = PeriodicJobs(self.db, rules, provider)
            self.jobs.start()
        self.app = create_app(s, db=self.db, sms_provider=provider, publisher=self.publisher)
        if self.consumer is not None:
            self.app.state.platform.ingest_stats = self.consumer.snapshot
        return self.app

    def stop(self) -> None:
        if self.jobs is not None:
            self.jobs.stop()
        if self.consumer is not None:
            self.consumer.stop()
        if self.publisher is not None:
            self.publisher.close()
        if self.db is not None:
            self.db.dispose()
