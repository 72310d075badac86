"""Every error under ``/open311/v2`` is the standard's list of ``{code, description}``.

The Open311 routes render their own refusals (``render.errors``); what the rest of the app
answers before or around them comes as the JSON API's ``{"detail": ...}`` or as plain text: a
NUL in the URL (``api/input_guard.py``, 422), an unknown path (404), a wrong method (405), a
field the framework refuses (422), a failure (500). :class:`Open311Errors`, the outermost
middleware for these paths, rewrites such an answer into the list, in the format the path asks
for (``.xml``, else JSON), with the same status, reason and headers (``Allow``,
``Retry-After``...). Answers that already are the list, and every success, pass unchanged.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from streetorder.platform.open311.api import render

PREFIX = "/open311/v2"
_REPLACED = {b"content-type", b"content-length"}


def is_open311(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def format_of(path: str) -> str:
    return "xml" if path.lower().endswith(".xml") else "json"


def _is_standard(body: bytes, content_type: str) -> bool:
    if content_type.startswith("text/xml"):
        return b"<errors><error>" in body[:200]
    try:
        data = json.loads(body)
    except ValueError:
        return False
    return (
        isinstance(data, list) and bool(data) and all(
            isinstance(e, dict) and set(e) == {"code", "description"} for e in data
        )
    )  # fmt: skip


def _description(status: int, body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("detail"), str) and data["detail"]:
        return data["detail"]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "error"


class Open311Errors:
    """Pure ASGI middleware: buffers only error answers of ``/open311/v2`` paths."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not is_open311(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        fmt = format_of(scope["path"])
        held: dict[str, Any] = {}
        body = bytearray()
        started = False

        async def intercept(message: dict) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if message["status"] < 400:
                    await send(message)
                    return
                held["start"] = message
                return
            if "start" not in held or message["type"] != "http.response.body":
                await send(message)
                return
            body.extend(message.get("body", b""))
            if not message.get("more_body", False):
                await self._finish(held["start"], bytes(body), fmt, send)

        try:
            await self.app(scope, receive, intercept)
        except Exception:
            if not started:  # a failure before any answer: the list, then the server logs it
                await self._send(render.errors(fmt, 500, "internal error"), [], send)
            raise

    async def _finish(self, start: dict, body: bytes, fmt: str, send: Any) -> None:
        given = start.get("headers", [])
        headers = [(k, v) for k, v in given if k.lower() not in _REPLACED]
        types = [v.decode("latin-1") for k, v in given if k.lower() == b"content-type"]
        content_type = types[0] if types else ""
        if _is_standard(body, content_type):
            await send(start)
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return
        status = start["status"]
        await self._send(render.errors(fmt, status, _description(status, body)), headers, send)

    @staticmethod
    async def _send(response: Any, headers: list[tuple[bytes, bytes]], send: Any) -> None:
        await send({
            "type": "http.response.start", "status": response.status_code,
            "headers": [*response.raw_headers, *headers],
        })  # fmt: skip
        await send({"type": "http.response.body", "body": response.body, "more_body": False})
