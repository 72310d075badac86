"""Every write goes through here: idempotency key, one transaction, JSON response."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from streetorder.mobile_api.api.context import MobileContext
from streetorder.mobile_api.services import idempotency


def write(
    ctx: MobileContext,
    request: Request,
    *,
    scope: str,
    key: str | None,
    body: bytes | BaseModel | None,
    action: Callable[[Session], BaseModel | None],
    status_code: int = 200,
) -> Response:
    """Run ``action`` in one transaction (once per idempotency key) and answer its result."""
    raw = body.model_dump_json().encode() if isinstance(body, BaseModel) else body or b""
    fingerprint = idempotency.fingerprint(request.method, request.url.path, raw)

    def run(session: Session) -> tuple[int, Any]:
        result = action(session)
        if result is None:
            return 204, None
        return status_code, result.model_dump(mode="json")

    outcome = idempotency.run(
        ctx.db, scope=scope, key=key, request_fingerprint=fingerprint, action=run
    )
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    if outcome.status_code == 204:
        return Response(status_code=204, headers=headers)
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=headers)


def user_scope(user_id: int | None) -> str:
    return f"user:{user_id}"
