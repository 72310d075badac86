"""The command-centre screen: tiles and SVG charts, plus the same figures as JSON."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from streetorder.i18n import duration, translator
from streetorder.platform.domain.workflow import format_local
from streetorder.platform.services.dashboard import DashboardStats, compute_stats, local_period
from streetorder.platform.web.auth import EVERYONE, Viewer, require
from streetorder.platform.web.charts import PALETTE, bar_chart, column_chart, donut_chart
from streetorder.platform.web.context import ConsoleContext, get_context
from streetorder.platform.web.render import language_of, render
from streetorder.platform.web.views import Translate, label, state_label

router = APIRouter()
Ctx = Annotated[ConsoleContext, Depends(get_context)]
Anyone = Annotated[Viewer, Depends(require(*EVERYONE))]
Days = Annotated[int, Query(ge=1, le=366)]


def _stats(ctx: ConsoleContext, days: int) -> DashboardStats:
    now = ctx.now()
    start, end = local_period(days, now, ctx.tz)
    with ctx.db.session() as session:
        return compute_stats(session, start=start, end=end, as_of=now, tz=ctx.tz)


#: (key, style) of each tile; the label is the catalogue's ``tile.<key>``. Tiles that count
#: cases which ever reached a step say "ever" (累计); those that count where cases stand now say
#: "now" (当前), so they read right beside the chart of cases by their current stage.
TILES = (
    ("total", ""),
    ("pending_review", ""),
    ("dispatched", ""),
    ("self_corrected", ""),
    ("officer_trips_saved", ""),
    ("yellow_lights", "yellow"),
    ("urged", ""),
    ("corrected_in_time", ""),
    ("closed", ""),
    ("rejected", ""),
    ("average_handling", "long"),
)


def tiles(stats: DashboardStats, t: Translate) -> list[dict]:
    avg = stats.average_handling
    values = {
        "total": stats.total,
        "pending_review": stats.by_stage.get("pending_review", 0),
        "dispatched": stats.dispatched,
        "self_corrected": stats.self_corrected,
        "officer_trips_saved": stats.officer_trips_saved,
        "yellow_lights": stats.yellow_lights,
        "urged": stats.urged,
        "corrected_in_time": stats.corrected_in_time,
        "closed": stats.closed,
        "rejected": stats.rejected,
        "average_handling": duration(avg, t.language) if avg is not None else "—",
    }
    return [
        {"key": key, "label": t(f"tile.{key}"), "value": values[key], "style": style}
        for key, style in TILES
    ]


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, ctx: Ctx, viewer: Anyone, days: Days = 30):
    t = translator(language_of(viewer))
    stats = _stats(ctx, days)
    per_day = [(d.strftime("%m-%d"), n) for d, n in stats.per_day.items()]
    empty = t("chart.no_data")
    charts = {
        "by_stage": bar_chart(
            [(state_label(k, t), v) for k, v in stats.by_stage.items()],
            title=t("chart.by_stage"), empty=empty,
        ),
        "by_source": donut_chart(
            [(label(t, "source", k), v) for k, v in stats.by_source.items()],
            title=t("chart.by_source"),
        ),
        "self_corrected": donut_chart(
            [
                (t("chart.self_corrected"), stats.self_corrected),
                (t("chart.dispatched"), stats.dispatched),
            ],
            title=t("chart.self_vs_dispatched"),
        ),
        "by_street": bar_chart(
            list(stats.by_street.items()), colour=PALETTE[2], title=t("chart.by_street"),
            empty=empty,
        ),
        "yellow_by_street": bar_chart(
            list(stats.yellow_by_street.items()), colour=PALETTE[6],
            title=t("chart.yellow_by_street"), empty=empty,
        ),
        "per_day": column_chart(
            per_day, title=t("chart.per_day"), label_every=max(1, len(per_day) // 10)
        ),
    }  # fmt: skip
    period = t(
        "dash.period",
        start=format_local(stats.start, ctx.tz)[:10],
        end=format_local(stats.end - timedelta(seconds=1), ctx.tz)[:10],
        days=days,
    )
    d = {
        "period": period,
        "as_of": format_local(stats.as_of, ctx.tz),
        "timezone": ctx.settings.timezone,
        "days": days,
    }
    handling = [  # average handling time of closed cases, per source (camera, citizen, hotline)
        (label(t, "source", source), duration(span, t.language))
        for source, span in stats.handling_by_source.items()
    ]
    return render(
        ctx, request, "dashboard.html", viewer, nav="dashboard", d=d, tiles=tiles(stats, t),
        charts=charts, handling=handling,
    )  # fmt: skip


@router.get("/dashboard.json")
def dashboard_json(ctx: Ctx, viewer: Anyone, days: Days = 30) -> JSONResponse:
    return JSONResponse(_stats(ctx, days).as_json())
