"""The viewer's own settings: the console language (中文 / English), stored on the user."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from streetorder.i18n import LANGUAGES
from streetorder.platform.services import accounts
from streetorder.platform.web.auth import EVERYONE, Viewer, require, require_csrf, safe_next
from streetorder.platform.web.context import ConsoleContext, get_context

router = APIRouter()
Ctx = Annotated[ConsoleContext, Depends(get_context)]
Anyone = Annotated[Viewer, Depends(require(*EVERYONE))]


@router.post("/language")
async def set_language(
    request: Request,
    ctx: Ctx,
    viewer: Anyone,
    language: Annotated[str, Form(max_length=8)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Switch the console's language for this user, then go back to the page it came from."""
    await require_csrf(request, viewer)
    if language not in LANGUAGES:
        return Response(f"language must be one of {', '.join(LANGUAGES)}", status_code=422)
    with ctx.db.session() as session:
        accounts.set_language(session, user_id=viewer.user.id, language=language)
    target = safe_next(ctx, next)
    joiner = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{joiner}done=language", status_code=303)
