"""Domain errors to HTTP, in one place: ``{"detail": reason}`` with the error's status."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from streetorder.platform.api.errors import error_body
from streetorder.platform.domain.errors import DomainError, Unauthorized


async def domain_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
    return JSONResponse(error_body(request, exc), status_code=exc.status, headers=headers)


def install(app: FastAPI) -> None:
    """Add the handler unless the platform app already translates domain errors."""
    if DomainError not in app.exception_handlers:
        app.add_exception_handler(DomainError, domain_error_handler)
