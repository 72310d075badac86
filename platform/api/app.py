"""The composition root of the API: ``create_app(settings)`` wires everything, no globals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse

from streetorder import __version__
from streetorder.mobile_api.api.router import attach as attach_officer_app
from streetorder.platform.api import errors
from streetorder.platform.api.routes import alerts, auth, cases, messaging, nodes, registry, system
from streetorder.platform.api.state import PlatformState, system_clock
from streetorder.platform.db import Database
from streetorder.platform.services.edge_config import Publisher
from streetorder.platform.services.rules import Rules
from streetorder.platform.settings import PlatformSettings
from streetorder.platform.sms.providers import SmsProvider, make_provider
from streetorder.platform.storage import EvidenceStore, FileSystemStore
from streetorder.platform.web import mount_console

API_PREFIX = "/api/v1"
DESCRIPTION = """\
The command-centre platform (业务中台): alerts from edge nodes become cases; reviewers confirm or
reject; confirmation sends an SMS to the merchant and a work order to the street's squad; officers
rectify with a photo; the command centre verifies and closes. Repeat offences (and first offences
not corrected in time) take the penalty path. Every transition is audited; an invalid one
answers **409** with the reason. Log in at `/api/v1/auth/login` and send
`Authorization: Bearer <access_token>`.
"""


def create_app(
    settings: PlatformSettings,
    *,
    db: Database | None = None,
    store: EvidenceStore | None = None,
    sms_provider: SmsProvider | None = None,
    publisher: Publisher | None = None,
    clock: Callable[[], datetime] = system_clock,
) -> FastAPI:
    """Build the API for ``settings``; pass parts to share or replace them (tests, replicas).

    The web console (``/console``) and the officer app (``/api/mobile/v1``) mount on the same app.
    """
    app = FastAPI(
        title="streetorder platform", version=__version__, description=DESCRIPTION,
        openapi_url=f"{API_PREFIX}/openapi.json", docs_url=f"{API_PREFIX}/docs", redoc_url=None,
    )  # fmt: skip
    app.state.platform = PlatformState(
        settings=settings,
        db=db or Database(settings.database_url),
        rules=Rules.from_settings(settings),
        store=store or FileSystemStore(settings.evidence.dir),
        sms_provider=sms_provider or make_provider(settings),
        publisher=publisher,
        clock=clock,
    )
    errors.install(app)
    api = APIRouter(prefix=API_PREFIX)
    for router in (
        auth.router, registry.streets, registry.squads, registry.users, registry.merchants,
        nodes.router, nodes.zones_router, cases.router, alerts.router, alerts.evidence_router,
        messaging.sms_router, messaging.orders_router, system.health_router,
        system.ingest_router, system.public_router,
    ):  # fmt: skip
        api.include_router(router)
    app.include_router(api)
    mount_console(app)  # the web console (platform/web) under /console
    app.add_api_route(
        "/", lambda: RedirectResponse("/console"), include_in_schema=False, methods=["GET"]
    )
    attach_officer_app(app)  # the officer app (mobile_api) under /api/mobile/v1
    return app
