"""Render a template with what every page needs: the viewer, the CSRF token, flashes."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from streetorder.i18n import DEFAULT_LANGUAGE, LANGUAGE_NAMES, normalise_language, translator
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
#: ``?done=<key>`` after a form post shows the catalogue's ``flash.<key>``.
FLASHES = ("urge", "verify", "rework", "close", "zones", "language")


def language_of(viewer: Viewer | None) -> str:
    """The viewer's chosen language; before login (and by default) Chinese."""
    return normalise_language(viewer.user.language) if viewer else DEFAULT_LANGUAGE


def i18n_values(language: str) -> dict[str, Any]:
    """What every template needs to speak the viewer's language."""
    return {"t": translator(language), "lang": language, "language_names": LANGUAGE_NAMES}


def render(
    ctx: ConsoleContext,
    request: Request,
    template: str,
    viewer: Viewer | None,
    *,
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    language = (
        language_of(viewer) if viewer else normalise_language(request.query_params.get("lang"))
    )
    t = translator(language)
    flashes = []
    done = request.query_params.get("done")
    if done in FLASHES:
        flashes.append({"kind": "ok", "text": t(f"flash.{done}")})
    error = request.query_params.get("error")
    if error and template != "login.html":
        flashes.append({"kind": "error", "text": error[:300]})
    context = {
        "user": viewer.user if viewer else None,
        "csrf": viewer.csrf if viewer else values.pop("csrf", ""),
        "flashes": flashes,
        **i18n_values(language),
        **values,
    }
    response = ctx.templates.TemplateResponse(request, template, context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(SECURITY_HEADERS)
    return response


def render_fragment(
    ctx: ConsoleContext, request: Request, template: str, viewer: Viewer, *, status_code: int = 200,
    **values: Any,
) -> HTMLResponse:  # fmt: skip
    """A piece of a page fetched by a script (e.g. the review panel), in the viewer's language."""
    context = {**i18n_values(language_of(viewer)), **values}
    response = ctx.templates.TemplateResponse(request, template, context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response
