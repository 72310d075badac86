"""Refuse a URL with a NUL character (``%00``) before any route sees it: 422, not a 500 from a
database that cannot store or compare it."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

DETAIL = "the URL contains a NUL character (%00), which no path or query value may hold"


def has_nul(scope: dict[str, Any]) -> bool:
    raw = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "surrogateescape")
    query = scope.get("query_string", b"")
    return any(b"\x00" in part or b"%00" in part.lower() for part in (raw, query)) or (
        "\x00" in scope.get("path", "")
    )


class RejectNulInUrl:
    """Pure ASGI middleware: one scan of the path and query per request."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and has_nul(scope):
            await JSONResponse({"detail": DETAIL}, status_code=422)(scope, receive, send)
            return
        await self.app(scope, receive, send)
