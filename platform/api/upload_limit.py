"""Refuse an oversized photo upload from its Content-Length, before its body is read (the
platform's case photos, the officer app's photos).

A phone on a slow network should learn at once that 30 MB will not be accepted, instead of
sending it all first. Uploads without a length are still cut off at the limit while read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import JSONResponse

MULTIPART_OVERHEAD = 256 * 1024


class UploadLimit:
    """Pure ASGI middleware: cheap for every other request (one path check)."""

    def __init__(self, app: Any, *, prefix: str, limit: Callable[[], int]) -> None:
        self.app, self.prefix, self.limit = app, prefix, limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"].startswith(self.prefix)
            and scope["path"].endswith("/photos")
        ):
            limit = self.limit()
            for name, value in scope["headers"]:
                if name == b"content-length" and value.isdigit():
                    if int(value) > limit + MULTIPART_OVERHEAD:
                        detail = (
                            f"the photo is larger than {limit / 1024 / 1024:g} MB (Content-Length)"
                        )
                        await JSONResponse({"detail": detail}, status_code=413)(
                            scope, receive, send
                        )
                        return
                    break
        await self.app(scope, receive, send)
