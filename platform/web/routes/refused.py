"""The messages the ingest refused (admins): category, reason, node, alert id, payload start."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from streetorder.i18n import translator
from streetorder.i18n.ingest import refusal_text
from streetorder.platform.domain.roles import Role
from streetorder.platform.services import rejections
from streetorder.platform.services.paging import page
from streetorder.platform.web.auth import Viewer, require
from streetorder.platform.web.context import ConsoleContext, get_context
from streetorder.platform.web.render import language_of, render
from streetorder.platform.web.views import label, local

router = APIRouter()
Ctx = Annotated[ConsoleContext, Depends(get_context)]
Admin = Annotated[Viewer, Depends(require(Role.ADMIN))]
CATEGORIES = ("invalid", "untrusted", "clock", "conflict", "error")


@router.get("/refused", response_class=HTMLResponse)
def refused(
    request: Request, ctx: Ctx, viewer: Admin, category: str = "",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
):  # fmt: skip
    category = category if category in CATEGORIES else ""
    t = translator(language_of(viewer))

    def kinds(values: dict[str, str]) -> dict[str, str]:  # a message kind in the reader's words
        return {"kind": label(t, "message_kind", values["kind"])} if "kind" in values else {}

    with ctx.db.session() as session:
        query = rejections.rejected_query(category=category or None)
        messages, total = page(session, query, offset=0, limit=limit)
        rows = [
            {
                "received": local(m.received_at, ctx.tz),
                "category": m.category,
                "category_label": label(t, "refused_category", m.category),
                "node": m.node_code or "",
                "alert": m.alert_id or "",
                "topic": m.topic,
                "why": t(key, **{**values, **kinds(values)}),
                "reason": m.reason,
                "head": m.payload_head[:300],
                "size": m.payload_size,
            }
            for m in messages
            for key, values in [refusal_text(m.category, m.reason)]
        ]
    return render(
        ctx, request, "refused.html", viewer, nav="refused", rows=rows, total=total,
        categories=CATEGORIES, category=category,
    )  # fmt: skip
