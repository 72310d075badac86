"""GeoReport v2 under ``/open311/v2``: every route in ``.json`` and ``.xml``.

Public: anyone may read the service list and the requests (without any reporter's personal
data). Posting needs no account: a trusted client (the 12345 hotline's system) sends its
``api_key`` and is not limited; anonymous posts are limited per client IP
(``open311.anonymous``), counted in the database so that all replicas share the count. Every
refusal is the standard's error list, never a server error.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from starlette.datastructures import FormData

from streetorder.platform.api.deps import Public
from streetorder.platform.api.state import PlatformState
from streetorder.platform.domain.errors import (
    BadRequest,
    DomainError,
    Forbidden,
    NotFound,
    PayloadTooLarge,
)
from streetorder.platform.open311 import catalogue, clients, intake, ratelimit, reads
from streetorder.platform.open311.api import render
from streetorder.platform.open311.api.openapi import POST_BODY, Format, responses
from streetorder.platform.open311.api.params import report_of

PREFIX = "/open311/v2"
#: public: no login; a trusted client identifies itself by the form's api_key (GeoReport v2)
router = APIRouter(prefix=PREFIX, tags=["open311"], dependencies=[Public()])


class TooManyRequests(DomainError):
    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many reports from this address; try again in {retry_after} s")
        self.retry_after = retry_after


def _state(request: Request) -> PlatformState:
    return request.app.state.platform


def _answer(fmt: str, work: Callable[[], Response]) -> Response:
    """The document, or the standard's error list in the asked format."""
    shown = fmt if fmt in render.FORMATS else "json"
    try:
        if fmt not in render.FORMATS:
            raise NotFound(f"unknown format {fmt!r}: use .json or .xml")
        return work()
    except TooManyRequests as exc:
        return render.errors(shown, 429, str(exc), {"Retry-After": str(exc.retry_after)})
    except DomainError as exc:
        return render.errors(shown, exc.status, str(exc))


def _jurisdiction(state: PlatformState, value: str | None) -> None:
    if value is not None and value != state.settings.open311.jurisdiction_id:
        raise NotFound(f"jurisdiction_id {value!r} not found")


def _date(value: str | None, name: str, state: PlatformState) -> datetime | None:
    if value is None or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadRequest(
            f"{name} must be a W3C date-time, e.g. 2026-11-21T14:05:00+08:00"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=state.settings.tz)


@router.get("/services.{fmt}", summary="The service list", responses=responses(200))
def services(fmt: Format, request: Request, jurisdiction_id: str | None = None) -> Response:
    def work() -> Response:
        _jurisdiction(_state(request), jurisdiction_id)
        entries = [render.service_entry(s) for s in catalogue.SERVICES]
        return render.document(fmt, "services", "service", entries)

    return _answer(fmt, work)


@router.get(
    "/services/{service_code}.{fmt}",
    summary="A service's definition (attributes)",
    responses=responses(200),
)
def service_definition(
    service_code: str, fmt: Format, request: Request, jurisdiction_id: str | None = None
) -> Response:
    def work() -> Response:
        _jurisdiction(_state(request), jurisdiction_id)
        service = catalogue.service(service_code)
        if service is None:
            raise NotFound(f"service_code {service_code!r} not found")
        return render.document(fmt, "service_definition", None, render.service_definition(service))

    return _answer(fmt, work)


@router.get(
    "/requests.{fmt}",
    summary="Service requests by filter (most recent 90 days)",
    responses=responses(200, 400),
)
def list_requests(
    fmt: Format, request: Request, service_request_id: str | None = None,
    service_code: str | None = None, start_date: str | None = None, end_date: str | None = None,
    status: str | None = None, jurisdiction_id: str | None = None,
) -> Response:  # fmt: skip
    def work() -> Response:
        state = _state(request)
        _jurisdiction(state, jurisdiction_id)
        query = reads.parse_query(
            ids=service_request_id, service_code=service_code, status=status,
            start=_date(start_date, "start_date", state), end=_date(end_date, "end_date", state),
        )  # fmt: skip
        with state.db.session() as session:
            found = reads.find(
                session, query=query, now=state.clock(), limit=state.settings.open311.max_results
            )
        entries = render.request_entries(found, state.settings.tz)
        return render.document(fmt, "service_requests", "request", entries)

    return _answer(fmt, work)


@router.get(
    "/requests/{service_request_id}.{fmt}",
    summary="One service request",
    responses=responses(200),
)
def get_request(
    service_request_id: str, fmt: Format, request: Request, jurisdiction_id: str | None = None
) -> Response:
    def work() -> Response:
        state = _state(request)
        _jurisdiction(state, jurisdiction_id)
        with state.db.session() as session:
            found = reads.one(session, service_request_id=service_request_id)
        entries = render.request_entries([found], state.settings.tz)
        return render.document(fmt, "service_requests", "request", entries)

    return _answer(fmt, work)


@router.get(
    "/tokens/{token}.{fmt}",
    summary="The service_request_id of a token",
    responses=responses(200),
)
def get_token(token: str, fmt: Format, request: Request, jurisdiction_id: str | None = None):
    def work() -> Response:
        state = _state(request)
        _jurisdiction(state, jurisdiction_id)
        with state.db.session() as session:
            request_id = reads.by_token(session, token=token)
        entry = {"service_request_id": request_id, "token": token}
        return render.document(fmt, "service_requests", "request", [entry])

    return _answer(fmt, work)


@router.post(
    "/requests.{fmt}",
    summary="Report a problem (form or multipart with photos)",
    status_code=201,
    responses=responses(201, 400, 403, 413, 415, 422, 429),
    openapi_extra=POST_BODY,
)
async def create_request(fmt: Format, request: Request) -> Response:
    state = _state(request)
    settings = state.settings.open311
    photo_max_bytes = int(settings.photo_max_mb * 1024 * 1024)
    try:
        if fmt not in render.FORMATS:
            raise NotFound(f"unknown format {fmt!r}: use .json or .xml")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > photo_max_bytes * settings.max_photos + (1 << 20):
            raise PayloadTooLarge("the report is larger than its photos may be in total")
        try:
            form = await request.form(max_files=settings.max_photos + 1, max_fields=200)
        except Exception as exc:  # malformed multipart, too many parts (Starlette's errors)
            raise BadRequest(f"the request body cannot be read as a form: {exc}") from None
        try:
            outcome = await run_in_threadpool(_file, state, request, form, photo_max_bytes)
        finally:
            await form.close()
    except TooManyRequests as exc:
        return render.errors(fmt, 429, str(exc), {"Retry-After": str(exc.retry_after)})
    except DomainError as exc:
        return render.errors(fmt if fmt in render.FORMATS else "json", exc.status, str(exc))
    return render.document(fmt, "service_requests", "request", [outcome], status=201)


def _api_key(request: Request, form: FormData) -> str | None:
    value = form.get("api_key") or request.query_params.get("api_key")
    return value if isinstance(value, str) and value else None


def _file(state: PlatformState, request: Request, form: FormData, max_bytes: int) -> dict[str, Any]:
    settings = state.settings.open311
    now = state.clock()
    jurisdiction = form.get("jurisdiction_id")
    _jurisdiction(state, jurisdiction if isinstance(jurisdiction, str) else None)
    key = _api_key(request, form)
    if key is None:
        host = request.client.host if request.client else "unknown"
        with state.db.session() as session:  # its own transaction: the post counts, even refused
            wait = ratelimit.hit(
                session, key=ratelimit.address_key(state.settings.secret_key, host), now=now,
                limit=settings.anonymous.posts, window=settings.anonymous.window_seconds,
            )  # fmt: skip
        if wait is not None:
            raise TooManyRequests(wait)
    with state.db.session() as session:
        client = clients.by_key(session, key) if key else None
        if key and client is None:
            raise Forbidden("api_key is not valid")
        report = report_of(form, max_photos=settings.max_photos, photo_max_bytes=max_bytes)
        filed = intake.file_report(
            session, report=report, client=client, rules=state.rules, settings=settings,
            store=state.store, now=now,
        )  # fmt: skip
        return {
            "service_request_id": intake.public_id(filed.report.id),
            "token": filed.report.token,
            "service_notice": "已并入同一商户的在办案件" if filed.joined else "",
            "account_id": None,
        }
