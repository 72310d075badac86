"""Render a template with what every page needs: the viewer, the CSRF token, flashes."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from streetorder.platform.web.auth import Viewer
from streetorder.platform.web.context import ConsoleContext

#: Only this site's own scripts, styles and media; no framing (clickjacking on the verdict keys).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; media-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
FLASH_TEXT = {
    "urge": "Urged.",
    "verify": "Verified.",
    "rework": "Sent back for rework.",
    "close": "Closed.",
    "zones": "Zones saved and pushed to the edge node.",
}


def render(
    ctx: ConsoleContext,
    request: Request,
    template: str,
    viewer: Viewer | None,
    *,
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    flashes = []
    done = request.query_params.get("done")
    if done in FLASH_TEXT:
        flashes.append({"kind": "ok", "text": FLASH_TEXT[done]})
    error = request.query_params.get("error")
    if error and template != "login.html":
        flashes.append({"kind": "error", "text": error[:300]})
    context = {
        "user": viewer.user if viewer else None,
        "csrf": viewer.csrf if viewer else values.pop("csrf", ""),
        "flashes": flashes,
        **values,
    }
    response = ctx.templates.TemplateResponse(request, template, context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(SECURITY_HEADERS)
    return response
