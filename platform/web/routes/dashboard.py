"""The command-centre screen: tiles and SVG charts, plus the same figures as JSON."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from streetorder.platform.domain.workflow import format_duration, format_local
from streetorder.platform.services.dashboard import DashboardStats, compute_stats, local_period
from streetorder.platform.web.auth import EVERYONE, Viewer, require
from streetorder.platform.web.charts import PALETTE, bar_chart, column_chart, donut_chart
from streetorder.platform.web.context import ConsoleContext, get_context
from streetorder.platform.web.render import render
from streetorder.platform.web.views import state_label

router = APIRouter()
Ctx = Annotated[ConsoleContext, Depends(get_context)]
Anyone = Annotated[Viewer, Depends(require(*EVERYONE))]
Days = Annotated[int, Query(ge=1, le=366)]


def _stats(ctx: ConsoleContext, days: int) -> DashboardStats:
    now = ctx.now()
    start, end = local_period(days, now, ctx.tz)
    with ctx.db.session() as session:
        return compute_stats(session, start=start, end=end, as_of=now, tz=ctx.tz)


def tiles(stats: DashboardStats) -> list[dict]:
    avg = stats.average_handling
    return [
        {"key": "total", "label": "cases", "value": stats.total, "style": ""},
        {
            "key": "pending_review",
            "label": "pending review",
            "value": stats.by_stage.get("pending_review", 0),
            "style": "",
        },
        {"key": "dispatched", "label": "dispatched", "value": stats.dispatched, "style": ""},
        {
            "key": "self_corrected",
            "label": "self-corrected (camera)",
            "value": stats.self_corrected,
            "style": "",
        },
        {
            "key": "officer_trips_saved",
            "label": "officer trips saved",
            "value": stats.officer_trips_saved,
            "style": "",
        },
        {
            "key": "yellow_lights",
            "label": "yellow lights",
            "value": stats.yellow_lights,
            "style": "yellow",
        },  # fmt: skip
        {"key": "urged", "label": "urged", "value": stats.urged, "style": ""},
        {
            "key": "corrected_in_time",
            "label": "corrected in time",
            "value": stats.corrected_in_time,
            "style": "",
        },
        {"key": "closed", "label": "closed", "value": stats.closed, "style": ""},
        {
            "key": "rejected",
            "label": "rejected (false alarms)",
            "value": stats.rejected,
            "style": "",
        },  # fmt: skip
        {
            "key": "average_handling",
            "label": "average handling time (closed)",
            "value": format_duration(avg) if avg is not None else "—",
            "style": "long",
        },
    ]


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, ctx: Ctx, viewer: Anyone, days: Days = 30):
    stats = _stats(ctx, days)
    per_day = [(d.strftime("%m-%d"), n) for d, n in stats.per_day.items()]
    charts = {
        "by_stage": bar_chart(
            [(state_label(k), v) for k, v in stats.by_stage.items()], title="cases by stage"
        ),
        "by_source": donut_chart(list(stats.by_source.items()), title="cases by source"),
        "self_corrected": donut_chart(
            [("self-corrected", stats.self_corrected), ("dispatched", stats.dispatched)],
            title="self-corrected versus dispatched",
        ),
        "by_street": bar_chart(
            list(stats.by_street.items()), colour=PALETTE[2], title="cases by street"
        ),
        "yellow_by_street": bar_chart(
            list(stats.yellow_by_street.items()), colour=PALETTE[6], title="yellow lights"
        ),
        "per_day": column_chart(
            per_day, title="new cases per day", label_every=max(1, len(per_day) // 10)
        ),
    }
    period = (
        f"{format_local(stats.start, ctx.tz)[:10]} – "
        f"{format_local(stats.end - timedelta(seconds=1), ctx.tz)[:10]} (last {days} days)"
    )
    d = {
        "period": period,
        "as_of": format_local(stats.as_of, ctx.tz),
        "timezone": ctx.settings.timezone,
        "days": days,
    }
    return render(
        ctx, request, "dashboard.html", viewer, nav="dashboard", d=d, tiles=tiles(stats),
        charts=charts,
    )  # fmt: skip


@router.get("/dashboard.json")
def dashboard_json(ctx: Ctx, viewer: Anyone, days: Days = 30) -> JSONResponse:
    return JSONResponse(_stats(ctx, days).as_json())
