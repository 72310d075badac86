"""The platform's /metrics, /livez and /readyz, read directly and scraped by a real Prometheus."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from streetorder.platform.db import Case
from streetorder.platform.domain.roles import Role
from streetorder.platform.domain.workflow import Actor
from streetorder.platform.services import cases
from streetorder.server import create_app
from tests.support.prometheus import private_prometheus, samples
from tests.web.browser_support import serve


def test_metrics_count_cases_yellow_lights_sms_and_requests_by_route(platform) -> None:
    p = platform
    first, second = p.alerts(), p.alerts()
    p.deliver(first, second)
    with p.db.session() as session:
        case_id = session.scalars(select(Case.id).order_by(Case.id)).first()
        cases.confirm(session, case_id=case_id, actor=Actor(Role.REVIEWER, "reviewer"),
                      rules=p.rules, now=p.clock.now)  # fmt: skip
    p.client.get(f"/api/v1/cases/{case_id}", headers=p.login("reviewer"))
    p.client.get("/api/v1/cases/999999", headers=p.login("reviewer"))

    now = samples(p.client.get("/metrics").text)
    pending = ("streetorder_platform_open_cases", (("state", "pending_review"),))
    assert now[pending] == 1
    assert now[("streetorder_platform_yellow_lights", ())] == 0
    assert now[("streetorder_platform_sms_messages", (("state", "queued"),))] == 1
    assert now[("streetorder_platform_database_up", ())] == 1
    # Requests are labelled by route template, so case ids never become label values.
    one = "/api/v1/cases/{case_id}"
    count = "streetorder_platform_http_request_duration_seconds_count"
    assert now[(count, (("method", "GET"), ("route", one), ("status", "200")))] == 1
    assert now[(count, (("method", "GET"), ("route", one), ("status", "404")))] == 1
    assert not any("999999" in str(labels) for _, labels in now)

    p.clock.advance(days=30)  # every open step is past its time limit now
    later = samples(p.client.get("/metrics").text)
    assert later[("streetorder_platform_yellow_lights", ())] == 2
    assert later[("streetorder_platform_sms_oldest_queued_seconds", ())] >= 30 * 86400


def test_liveness_and_readiness_name_what_is_down(platform, tmp_path: Path) -> None:
    assert platform.client.get("/livez").json() == {"status": "ok"}
    ready = platform.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok"}

    from fastapi.testclient import TestClient

    from streetorder.platform.db import Database
    from tests.support.services import free_port

    down = Database(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none")
    app = create_app(platform.settings, db=down, clock=platform.clock)
    with TestClient(app) as client:
        assert client.get("/livez").status_code == 200  # alive: a restart would not help
        not_ready = client.get("/readyz")
        assert not_ready.status_code == 503
        assert not_ready.json()["checks"]["database"].startswith("unreachable")
        assert "streetorder_platform_database_up 0.0" in client.get("/metrics").text
    down.dispose()


def test_a_real_prometheus_scrapes_the_platform(platform, tmp_path: Path) -> None:
    platform.deliver(platform.alerts())
    with serve(platform.client.app) as base:
        target = base.removeprefix("http://")
        with private_prometheus(tmp_path, {"platform": target}) as prometheus:
            up = prometheus.wait_for('up{job="platform"} == 1')
            assert up[0]["metric"]["instance"] == target
            pending = prometheus.wait_for('streetorder_platform_open_cases{state="pending_review"}')
            assert float(pending[0]["value"][1]) == 1
