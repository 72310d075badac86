"""The server's FastAPI app: the platform's JSON API, the web console and the officer app."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from streetorder.mobile_api.api.router import attach as attach_officer_app
from streetorder.platform.api import create_app as create_platform_api
from streetorder.platform.api.state import system_clock
from streetorder.platform.db import Database
from streetorder.platform.services.edge_config import Publisher
from streetorder.platform.settings import PlatformSettings
from streetorder.platform.sms.providers import SmsProvider
from streetorder.platform.storage import EvidenceStore
from streetorder.platform.web import mount_console
from streetorder.server.metrics import mount_operations
from streetorder.server.settings import ServerSettings


def create_app(
    settings: ServerSettings | PlatformSettings,
    *,
    db: Database | None = None,
    store: EvidenceStore | None = None,
    sms_provider: SmsProvider | None = None,
    publisher: Publisher | None = None,
    clock: Callable[[], datetime] = system_clock,
) -> FastAPI:
    """Build the whole app; pass parts to share or replace them (tests, replicas).

    ``PlatformSettings`` alone means the officer app's default settings.
    """
    if isinstance(settings, PlatformSettings):
        settings = ServerSettings(platform=settings)
    app = create_platform_api(
        settings.platform, db=db, store=store, sms_provider=sms_provider, publisher=publisher,
        clock=clock,
    )  # fmt: skip
    mount_console(app)  # the web console (platform/web) under /console
    app.add_api_route(
        "/", lambda: RedirectResponse("/console"), include_in_schema=False, methods=["GET"]
    )
    attach_officer_app(app, mobile=settings.mobile)  # the officer app under /api/mobile/v1
    mount_operations(app, app.state.platform.db, clock)  # /metrics, /livez, /readyz
    return app
