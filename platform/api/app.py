"""The platform's JSON API: ``create_app(settings)`` builds it, no globals.

The whole server (this API, the web console and the officer app) is put together by
:func:`streetorder.server.create_app`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, FastAPI

from streetorder import __version__
from streetorder.platform.api import errors
from streetorder.platform.api.routes import (
    alerts,
    auth,
    cases,
    messaging,
    model_versions,
    nodes,
    registry,
    reviews,
    system,
)
from streetorder.platform.api.state import PlatformState, system_clock
from streetorder.platform.api.upload_limit import UploadLimit
from streetorder.platform.db import Database
from streetorder.platform.open311.api import routes as open311_routes
from streetorder.platform.open311.api import staff as open311_staff
from streetorder.platform.open311.api.errors import Open311Errors
from streetorder.platform.services.edge_config import Publisher
from streetorder.platform.services.evidence import PHOTO_POLICY
from streetorder.platform.services.rules import Rules
from streetorder.platform.settings import PlatformSettings
from streetorder.platform.sms.providers import SmsProvider, make_provider
from streetorder.platform.storage import EvidenceStore, make_store

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
    """Build the API for ``settings``; pass parts to share or replace them (tests, replicas)."""
    app = FastAPI(
        title="streetorder platform", version=__version__, description=DESCRIPTION,
        openapi_url=f"{API_PREFIX}/openapi.json", docs_url=f"{API_PREFIX}/docs", redoc_url=None,
    )  # fmt: skip
    app.state.platform = PlatformState(
        settings=settings,
        db=db or Database(settings.database_url),
        rules=Rules.from_settings(settings),
        store=store or make_store(settings.evidence),
        sms_provider=sms_provider or make_provider(settings),
        publisher=publisher,
        clock=clock,
    )
    errors.install(app)
    # a case photo over its cap is refused from its Content-Length, before the body is read
    app.add_middleware(
        UploadLimit, prefix=f"{API_PREFIX}/cases/", limit=lambda: PHOTO_POLICY.max_bytes
    )
    api = APIRouter(prefix=API_PREFIX)
    for router in (
        auth.router, registry.streets, registry.squads, registry.users, registry.merchants,
        nodes.router, nodes.zones_router, cases.router, alerts.router, alerts.evidence_router,
        messaging.sms_router, messaging.orders_router, system.health_router,
        system.ingest_router, system.public_router, reviews.router, model_versions.router,
    ):  # fmt: skip
        api.include_router(router)
    if settings.open311.enabled:  # GeoReport v2 for residents and the 12345 hotline
        api.include_router(open311_staff.router)
        app.include_router(open311_routes.router)
        app.add_middleware(Open311Errors)  # outermost: its errors, even a NUL's, are the list
    app.include_router(api)
    return app
