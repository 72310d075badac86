"""The running server: database, MQTT consumer and publisher, periodic jobs, app.

``start()`` runs the steps in order and ``stop()`` undoes them in reverse, so ``serve``, the demo
and tests share one way of running the whole server.
"""

from __future__ import annotations

from fastapi import FastAPI

from streetorder.platform.db import Database
from streetorder.platform.services.rules import Rules
from streetorder.platform.settings import PlatformSettings
from streetorder.platform.sms.providers import make_provider
from streetorder.platform.storage import make_store
from streetorder.server.app import create_app
from streetorder.server.jobs import PeriodicJobs
from streetorder.server.settings import ServerSettings


class ServerRuntime:
    def __init__(
        self, settings: ServerSettings | PlatformSettings, *, ingest: bool = True, jobs: bool = True
    ) -> None:
        if isinstance(settings, PlatformSettings):
            settings = ServerSettings(platform=settings)
        self.settings = settings
        self.want_ingest, self.want_jobs = ingest, jobs
        self.db: Database | None = None
        self.consumer = None
        self.publisher = None
        self.jobs: PeriodicJobs | None = None
        self.app: FastAPI | None = None

    def start(self) -> FastAPI:
        s = self.settings.platform
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
            self.jobs = PeriodicJobs(
                self.db, rules, provider, mobile=self.settings.mobile,
                store=make_store(s.evidence), retention=s.retention,
            )  # fmt: skip
            self.jobs.start()
        self.app = create_app(
            self.settings, db=self.db, sms_provider=provider, publisher=self.publisher
        )
        if self.consumer is not None:
            self.app.state.platform.ingest_stats = self.consumer.snapshot
            self.app.state.operations.ingest_stats = self.consumer.snapshot
            self.app.state.operations.broker_connected = self.consumer.client.is_connected
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
