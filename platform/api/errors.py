"""Errors become HTTP answers here, and only here, all with one body: ``{"detail": reason}``
(validation errors add ``errors``, one entry per field). Nothing a client sends yields a 500:
domain errors carry their status; invalid input is a 422 with the fields; a write the
database refuses is a 409 (conflict) or 422 (a value it cannot store), with a sentence.
The OpenAPI documents these answers on every route (:func:`document_errors`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, IntegrityError, StatementError

from streetorder.i18n import DEFAULT_LANGUAGE, Reason, reason_text
from streetorder.platform.api.input_guard import RejectNulInUrl
from streetorder.platform.domain.errors import DomainError, NotYet, Unauthorized

log = logging.getLogger(__name__)
#: the answers every route of the JSON APIs may give, besides its own
COMMON = {
    "400": "Bad request: the request cannot be taken as it is (see detail).",
    "401": "Not logged in, or the token is invalid or expired.",
    "403": "Logged in, but this role may not do this.",
    "404": "Not found (another squad's things are not found either).",
    "409": "Conflicts with the current state or stored data (see detail).",
    "422": "Invalid input: detail says why; errors lists the fields.",
}
API_PATHS = ("/api/v1/", "/api/mobile/v1/")


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    """Every error answer of the JSON APIs."""

    detail: str
    code: str | None = Field(
        None,
        description="What was refused, as a stable key (e.g. refusal.wrong_state, "
        "upload.format_refused), when the reason has one; detail is its sentence.",
    )
    errors: list[FieldError] | None = None


#: The officer app's API answers in its user's language (Chinese unless the user chose
#: English); the platform's API in English.
APP_PATH = "/api/mobile/v1/"


def error_body(request: Request, exc: DomainError) -> dict[str, Any]:
    """``detail``: the reason, for the officer app in its user's language; ``code``: its key."""
    reason = exc.args[0] if exc.args else ""
    if request.url.path.startswith(APP_PATH):
        language = getattr(request.state, "language", None) or DEFAULT_LANGUAGE
        body: dict[str, Any] = {"detail": reason_text(exc, language)}
    else:
        body = {"detail": str(exc)}
    if isinstance(reason, Reason):
        body["code"] = reason.key
    return body


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for error in exc.errors():
        loc = [part if isinstance(part, int) else str(part) for part in error.get("loc", ())]
        out.append({"loc": loc, "msg": str(error.get("msg", "")), "type": str(error["type"])})
    return out


def _sentence(errors: list[dict[str, Any]]) -> str:
    parts = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors[:5]]
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "invalid input: " + "; ".join(parts) + more


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        headers = None
        if isinstance(exc, Unauthorized):
            headers = {"WWW-Authenticate": "Bearer"}
        elif isinstance(exc, NotYet):
            headers = {"Retry-After": str(exc.retry_after)}
        return JSONResponse(error_body(request, exc), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_input(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _field_errors(exc)
        return JSONResponse({"detail": _sentence(errors), "errors": errors}, status_code=422)

    @app.exception_handler(IntegrityError)
    async def integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        log.info("refused by the database: %s %s: %s", request.method, request.url.path, exc.orig)
        detail = (
            "this conflicts with stored data (a duplicate, or something still refers to it); "
            "nothing was changed"
        )
        return JSONResponse({"detail": detail}, status_code=409)

    async def unstorable(request: Request, exc: Exception) -> JSONResponse:
        log.info("value not storable: %s %s: %s", request.method, request.url.path, exc)
        detail = "a value is out of range or cannot be stored (e.g. a NUL character)"
        return JSONResponse({"detail": detail}, status_code=422)

    app.add_exception_handler(DataError, unstorable)
    app.add_exception_handler(OverflowError, unstorable)

    @app.exception_handler(StatementError)
    async def statement(request: Request, exc: StatementError) -> JSONResponse:
        if isinstance(exc.orig, OverflowError | ValueError):  # e.g. an int beyond 64 bits
            return await unstorable(request, exc)
        raise exc

    app.add_middleware(RejectNulInUrl)
    document_errors(app)


def _error_schema(components: dict[str, Any]) -> dict[str, str]:
    schema = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components["ErrorBody"] = schema
    return {"$ref": "#/components/schemas/ErrorBody"}


def add_error_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """Document the common errors, with the real body, on every operation of the JSON APIs
    (idempotent)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    content = {"application/json": {"schema": _error_schema(components)}}
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith(API_PATHS):
            continue
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for code, description in COMMON.items():
                responses.setdefault(code, {"description": description})
            for code, response in responses.items():
                if code[0] in "45":
                    response["content"] = content
    if "/HTTPValidationError'" not in repr(schema["paths"]):  # no route answers FastAPI's own
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
    return schema


def document_errors(app: FastAPI) -> None:
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        return add_error_responses(generate())

    app.openapi = openapi  # type: ignore[method-assign]
