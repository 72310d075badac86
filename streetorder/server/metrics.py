"""Prometheus metrics, liveness and readiness of one platform replica.

``/metrics`` (text exposition) holds this replica's counters (HTTP requests, ingest) and, read
from the shared database at scrape time, the city's gauges (open cases by state, yellow lights,
the SMS outbox). ``/livez`` answers while the process serves; ``/readyz`` answers 200 only when
the database answers and, where the platform ingests from a broker, the broker connection is up.
Metric names and meanings: docs/OPERATIONS.md.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import text

from streetorder.platform.db import Database
from streetorder.platform.services import operations

log = logging.getLogger(__name__)

PREFIX = "streetorder_platform"
LAG_WINDOW = timedelta(minutes=5)


class Operations:
    """The replica's registry and what the collectors read; the runtime fills in the ingest."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db, self.clock = db, clock
        self.ingest_stats: Callable[[], dict[str, Any]] | None = None
        self.broker_connected: Callable[[], bool] | None = None
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Histogram(
            f"{PREFIX}_http_request_duration_seconds",
            "HTTP request latency by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.registry.register(_DatabaseCollector(self))
        self.registry.register(_IngestCollector(self))

    def readiness(self) -> dict[str, str]:
        checks = {"database": "ok"}
        try:
            with self.db.session() as session:
                session.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            checks["database"] = f"unreachable: {type(exc).__name__}"
        if self.broker_connected is not None:
            checks["broker"] = "ok" if self.broker_connected() else "disconnected"
        return checks


class _DatabaseCollector(Collector):
    def __init__(self, ops: Operations) -> None:
        self.ops = ops

    def collect(self) -> Iterator[Any]:
        up = GaugeMetricFamily(f"{PREFIX}_database_up", "1 when the database answered the scrape.")
        try:
            with self.ops.db.session() as session:
                snap = operations.snapshot(session, now=self.ops.clock(), window=LAG_WINDOW)
        except Exception:  # noqa: BLE001 - a scrape never fails because the database did
            log.warning("metrics: the database did not answer", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        cases = GaugeMetricFamily(f"{PREFIX}_open_cases", "Open cases by state.", labels=["state"])
        for state, n in sorted(snap.open_cases.items()):
            cases.add_metric([state], n)
        yield cases
        yield GaugeMetricFamily(
            f"{PREFIX}_yellow_lights", "Open cases past their step's time limit.",
            value=snap.yellow_lights,
        )  # fmt: skip
        sms = GaugeMetricFamily(f"{PREFIX}_sms_messages", "SMS records by state.", labels=["state"])
        for state, n in sorted(snap.sms.items()):
            sms.add_metric([state], n)
        yield sms
        yield GaugeMetricFamily(
            f"{PREFIX}_sms_oldest_queued_seconds", "Age of the oldest SMS still queued (0: none).",
            value=snap.sms_oldest_queued_seconds,
        )  # fmt: skip
        if snap.ingest_lag_seconds is not None:
            yield GaugeMetricFamily(
                f"{PREFIX}_ingest_lag_seconds",
                "Worst delay from the edge's alert to the platform's record, newest alerts of the "
                "last 5 minutes.",
                value=snap.ingest_lag_seconds,
            )


class _IngestCollector(Collector):
    def __init__(self, ops: Operations) -> None:
        self.ops = ops

    def collect(self) -> Iterator[Any]:
        if self.ops.broker_connected is not None:
            yield GaugeMetricFamily(
                f"{PREFIX}_broker_connected", "1 while the ingest's broker connection is up.",
                value=1 if self.ops.broker_connected() else 0,
            )  # fmt: skip
        if self.ops.ingest_stats is None:
            return
        stats = self.ops.ingest_stats()
        counted = CounterMetricFamily(
            f"{PREFIX}_ingest_events", "Ingest events of this replica (received, alerts, ...).",
            labels=["event"],
        )  # fmt: skip
        for event, n in sorted(stats.items()):
            if isinstance(n, int) and not isinstance(n, bool) and event != "queued":
                counted.add_metric([event], n)
        yield counted
        rejected = CounterMetricFamily(
            f"{PREFIX}_ingest_rejected", "Refused messages of this replica by reason.",
            labels=["reason"],
        )  # fmt: skip
        for reason, n in sorted((stats.get("rejections") or {}).items()):
            rejected.add_metric([reason], n)
        yield rejected
        yield GaugeMetricFamily(
            f"{PREFIX}_ingest_queued", "Messages received and not yet written.",
            value=stats.get("queued", 0),
        )  # fmt: skip


class _RequestTimer:
    """ASGI middleware: observes each HTTP request under its route template (not its path, so
    ids do not explode the label set); unmatched paths count as ``unmatched``."""

    def __init__(self, app: Any, ops: Operations) -> None:
        self.app, self.ops = app, ops

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), [500]

        async def send_status(message: dict) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            template = _route_template(scope)
            self.ops.requests.labels(template, scope["method"], str(status[0])).observe(
                time.perf_counter() - started
            )


def _route_template(scope: dict) -> str:
    """The matched route's template with its mount prefix (``/api/v1/cases/{case_id}``)."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    if template is None:
        return "/console/static" if scope["path"].startswith("/console/static") else "unmatched"
    # An included router's route may carry its own path only: the template then matches the
    # tail of the requested path, and the segments before it are the prefix.
    path, tail = scope["path"].rstrip("/").split("/"), template.rstrip("/").split("/")[1:]
    return "/".join(path[: max(1, len(path) - len(tail))] + tail) or "/"


def mount_operations(app: FastAPI, db: Database, clock: Callable[[], datetime]) -> Operations:
    """Add /metrics, /livez and /readyz (outside the API's schema) and the request timer."""
    ops = Operations(db, clock)
    app.state.operations = ops
    app.add_middleware(_RequestTimer, ops=ops)

    def metrics() -> Response:
        return Response(generate_latest(ops.registry), media_type=CONTENT_TYPE_LATEST)

    def livez() -> dict[str, str]:
        return {"status": "ok"}

    def readyz() -> JSONResponse:
        checks = ops.readiness()
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    for path, endpoint in (("/metrics", metrics), ("/livez", livez), ("/readyz", readyz)):
        app.add_api_route(path, endpoint, methods=["GET"], include_in_schema=False)
    return ops


def utc_now() -> datetime:
    return datetime.now(UTC)
