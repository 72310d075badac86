"""The officer app's router and how it is mounted into the platform app.

The server's ``create_app`` (:mod:`streetorder.server.app`) calls :func:`attach` once; tests and
tools may also mount it into a bare FastAPI app.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from streetorder.mobile_api.api import errors
from streetorder.mobile_api.api.context import MobileContext
from streetorder.mobile_api.api.routes import (
    auth,
    inspections,
    photos,
    special,
    summary,
    tasks,
    work_orders,
)
from streetorder.mobile_api.api.upload_limit import UploadLimit
from streetorder.mobile_api.domain.clock import Clock, system_clock
from streetorder.mobile_api.settings import MobileSettings
from streetorder.platform.db.session import Database
from streetorder.platform.settings import PlatformSettings
from streetorder.platform.storage import EvidenceStore

PREFIX = "/api/mobile/v1"


def mobile_router() -> APIRouter:
    router = APIRouter(prefix=PREFIX)
    for module in (tasks, work_orders, inspections, special, photos, summary):
        router.include_router(module.router)
    router.include_router(auth.router)
    router.include_router(auth.me_router)
    return router


def mount(
    app: FastAPI,
    settings: PlatformSettings,
    db: Database,
    *,
    mobile: MobileSettings | None = None,
    store: EvidenceStore | None = None,
    clock: Clock = system_clock,
) -> MobileContext:
    """Add the officer app's routes to ``app`` (once), sharing its database and evidence store.

    Mounting again only replaces the context (e.g. other :class:`MobileSettings`)."""
    ctx = MobileContext.build(settings, db, mobile=mobile, store=store, clock=clock)
    first = getattr(app.state, "mobile", None) is None
    app.state.mobile = ctx
    if first:
        errors.install(app)
        app.include_router(mobile_router())
        app.add_middleware(
            UploadLimit, prefix=PREFIX, limit=lambda: app.state.mobile.mobile.photos.max_bytes
        )
    return ctx


def attach(app: FastAPI, *, mobile: MobileSettings | None = None) -> MobileContext:
    """Mount into an app built by the platform's ``create_app``, sharing its database, evidence
    store and clock."""
    state = app.state.platform
    return mount(
        app, state.settings, state.db, mobile=mobile, store=state.store,
        clock=lambda: state.clock(),
    )  # fmt: skip
