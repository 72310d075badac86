"""The dashboard's figures equal direct counts over the cases table for a generated month."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from streetorder.i18n import duration
from streetorder.platform.db import Case
from streetorder.platform.web.charts import bar_chart, column_chart, donut_chart
from tests.web.conftest import Console
from tests.web.seeding import generate_month
from tests.web.test_console_http import login

TERMINAL = {"rejected", "closed"}


def expected_figures(cases: list[Case], start: datetime, end: datetime, now: datetime) -> dict:
    """The screen's figures computed by hand, row by row."""
    rows = [c for c in cases if start <= c.discovered_at < end]
    closed = [c for c in rows if c.state == "closed"]
    avg = sum(((c.closed_at - c.discovered_at) for c in closed), timedelta()) / len(closed)
    yellow = [c for c in rows if c.state not in TERMINAL and c.deadline_at and c.deadline_at < now]
    return {
        "total": len(rows),
        "by_stage": dict(Counter(c.state for c in rows)),
        "by_source": dict(Counter(c.source for c in rows)),
        "by_street": dict(Counter(c.street.name for c in rows)),
        "yellow_lights": len(yellow),
        "yellow_by_street": dict(Counter(c.street.name for c in yellow)),
        "urged": sum(1 for c in rows if c.urge_count > 0),
        "closed": len(closed),
        "rejected": sum(1 for c in rows if c.state == "rejected"),
        "confirmed": sum(1 for c in rows if c.confirmed_at is not None),
        "corrected_in_time": sum(
            1 for c in rows if c.rectified_at and c.rectified_at <= c.rectify_deadline_at
        ),
        "average_handling_seconds": round(avg.total_seconds()),
    }


@pytest.mark.slow
def test_dashboard_agrees_with_the_database_for_a_generated_month(console: Console) -> None:
    env = console
    end = env.clock.now
    month = generate_month(
        env.db, env.state.store, env.state.rules, env.registry, end=end, days=30,
        evidence_dir=env.evidence_tmp,
    )  # fmt: skip
    assert len(month.case_ids) >= 60
    client = TestClient(env.app)
    login(client, "leader")
    figures = client.get("/console/dashboard.json?days=31").json()
    start = datetime.fromisoformat(figures["start"])
    with env.db.session() as s:
        everything = list(s.scalars(select(Case).options(selectinload(Case.street))))
    want = expected_figures(everything, start, datetime.fromisoformat(figures["end"]), end)
    # The month exercises every figure, so a wrong query cannot hide behind a zero.
    for key in ("yellow_lights", "urged", "closed", "rejected", "corrected_in_time"):
        assert want[key] > 0, key
    assert want["total"] == len(month.case_ids)  # the 31-day window holds the whole month
    for key, value in want.items():
        if key == "average_handling_seconds":
            assert abs(figures[key] - value) <= 1
        else:
            assert figures[key] == value, key
    assert sum(figures["per_day"].values()) == want["total"]

    # The page shows the same numbers: tiles and the bars of every chart.
    page = client.get("/console/dashboard?days=31").text
    tiles = dict(re.findall(r'data-metric="(\w+)"><span class="value">([^<]+)<', page))
    assert int(tiles["total"]) == want["total"]
    assert int(tiles["yellow_lights"]) == want["yellow_lights"]
    assert int(tiles["urged"]) == want["urged"]
    assert int(tiles["corrected_in_time"]) == want["corrected_in_time"]
    assert int(tiles["pending_review"]) == want["by_stage"].get("pending_review", 0)
    avg = timedelta(seconds=figures["average_handling_seconds"])
    assert tiles["average_handling"] == duration(avg)  # as the screen shows it, in Chinese
    street_section = page.split('data-chart="by_street"')[1].split("</section>")[0]
    bars = dict(re.findall(r'data-label="([^"]+)" data-value="(\d+)"', street_section))
    assert {k: int(v) for k, v in bars.items()} == want["by_street"]


def test_dashboard_needs_a_login_and_a_valid_period(sqlite_console: Console) -> None:
    client = TestClient(sqlite_console.app)
    assert client.get("/console/dashboard.json").status_code == 401
    login(client, "officer")
    assert client.get("/console/dashboard.json?days=0").status_code == 422
    empty = client.get("/console/dashboard.json").json()
    assert empty["total"] == 0 and empty["average_handling_seconds"] is None


@pytest.mark.parametrize(
    ("chart", "items", "error"),
    [
        (bar_chart, [("a", -1)], "must be a finite number >= 0"),
        (donut_chart, [("a", float("nan"))], "must be a finite number >= 0"),
        (column_chart, [("a", float("inf"))], "must be a finite number >= 0"),
    ],
)
def test_charts_refuse_impossible_values(chart, items, error) -> None:
    with pytest.raises(ValueError, match=error):
        chart(items)


def test_bar_lengths_are_proportional_and_labels_escaped() -> None:
    svg = str(bar_chart([("<b>", 10), ("half", 5)], width=400, label_width=100))
    widths = [float(w) for w in re.findall(r'<rect x="100" y="\d+" width="([\d.]+)"', svg)]
    assert widths[0] == pytest.approx(2 * widths[1])
    assert "<b>" not in svg and "&lt;b&gt;" in svg


def test_donut_slices_cover_the_ring_in_proportion() -> None:
    svg = str(donut_chart([("camera", 3), ("citizen", 1)], size=180))
    dashes = [float(d) for d in re.findall(r'stroke-dasharray="([\d.]+) ', svg)]
    assert dashes[0] == pytest.approx(3 * dashes[1], rel=1e-3)
    assert ">4<" in svg  # the total in the middle


def test_the_days_chart_always_labels_the_last_day() -> None:
    """Thirty days labelled every third: 11-08 ... 12-05 and, always, today (12-07)."""
    from datetime import date, timedelta

    days = [((date(2026, 11, 8) + timedelta(days=i)).strftime("%m-%d"), 1.0) for i in range(30)]
    svg = str(column_chart(days, label_every=3))
    labels = re.findall(r'class="axis">(\d\d-\d\d)<', svg)
    assert labels[0] == "11-08" and labels[-1] == "12-07" and "12-05" in labels
    crowded = str(column_chart(days[:29], label_every=3))  # the last day right after a label
    labels = re.findall(r'class="axis">(\d\d-\d\d)<', crowded)
    assert labels[-1] == "12-06" and "12-05" not in labels
