"""The console speaks Chinese by default; each user may switch to English, stored on the user."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from streetorder.i18n import text
from streetorder.platform.db import Database, User
from streetorder.server.migrate import upgrade
from tests.web.conftest import Clock, Console, console_app, make_settings
from tests.web.seeding import seed_registry
from tests.web.test_console_http import FORM_CSRF_RE, add_alerts, login

LANG_FORM = re.compile(r'<form class="language".*?</form>', re.S)


def switch(client: TestClient, language: str, next_url: str, token: str | None = None):
    page = client.get(next_url if next_url.startswith("/") else "/console/cases").text
    csrf = token if token is not None else FORM_CSRF_RE.search(LANG_FORM.search(page)[0])[1]
    return client.post(
        "/console/language",
        data={"language": language, "next": next_url, "csrf_token": csrf},
        follow_redirects=False,
    )


def test_chinese_by_default_then_english_for_this_user_only(console: Console) -> None:
    reviewer, admin = TestClient(console.app), TestClient(console.app)
    login_page = reviewer.get("/console/login").text
    assert '<html lang="zh-CN">' in login_page and "用户名" in login_page
    english_login = reviewer.get("/console/login", params={"lang": "en", "next": "/console/cases"})
    assert '<html lang="en">' in english_login.text and "User name" in english_login.text
    assert 'href="/console/login?lang=zh-CN&amp;next=/console/cases"' in english_login.text
    login(reviewer, "reviewer")
    login(admin, "admin")
    queue = reviewer.get("/console/queue").text
    assert '<html lang="zh-CN">' in queue
    assert text("nav.queue") in queue and text("queue.pending") in queue
    assert "Review queue" not in queue
    # the name once, then the role in the viewer's language (not "reviewer reviewer · reviewer")
    assert re.search(r'id="whoami">reviewer reviewer · 审核员<', queue)

    moved = switch(reviewer, "en", "/console/cases?state=closed")
    assert moved.status_code == 303
    assert moved.headers["location"] == "/console/cases?state=closed&done=language"
    english = reviewer.get(moved.headers["location"]).text
    assert '<html lang="en">' in english and "The console is now in English." in english
    assert ">Cases</a>" in english and "reviewer reviewer · reviewer<" in english
    with console.db.session() as s:
        users = {u.username: u.language for u in s.scalars(select(User))}
    assert users["reviewer"] == "en" and users["admin"] is None
    assert text("nav.cases") in admin.get("/console/cases").text  # the admin still reads Chinese

    back = switch(reviewer, "zh-CN", "/console/queue")
    assert '<html lang="zh-CN">' in reviewer.get(back.headers["location"]).text


def test_the_switch_needs_the_csrf_token_a_known_language_and_a_local_target(
    console: Console,
) -> None:
    client = TestClient(console.app)
    login(client, "reviewer")
    assert switch(client, "en", "/console/queue", token="forged").status_code == 403
    assert switch(client, "fr", "/console/queue").status_code == 422
    away = switch(client, "en", "https://evil.example/")
    assert away.status_code == 303 and away.headers["location"].startswith("/console/queue?")
    anonymous = TestClient(console.app).post("/console/language", data={"language": "en"})
    assert anonymous.status_code == 401


def test_dashboard_tiles_say_whether_they_count_ever_or_now(console: Console) -> None:
    """ "51 dispatched" beside a bar "notified + dispatched 13" read as a contradiction: the tile
    counts cases that were ever dispatched, the bar where cases stand now; the words say so."""
    client = TestClient(console.app)
    login(client, "leader")
    page = client.get("/console/dashboard").text
    tiles = dict(re.findall(r'data-metric="(\w+)">.*?<span class="label">([^<]+)<', page))
    assert tiles["dispatched"] == "累计派遣" and tiles["urged"] == "累计催办"
    assert tiles["pending_review"] == "当前待审核" and tiles["yellow_lights"] == "当前黄灯"
    assert "<h2>按当前环节</h2>" in page and text("dash.note") in page


def test_times_are_shown_in_the_configured_time_zone(tmp_path: Path) -> None:
    """Asia/Shanghai by default; another city's zone from the platform settings."""
    url = f"sqlite:///{tmp_path / 'platform.db'}"
    upgrade(url)
    db = Database(url)
    clock = Clock(datetime(2026, 11, 20, 2, 0, tzinfo=UTC))
    try:
        registry = seed_registry(db)
        for zone, shown in (
            ("Asia/Shanghai", "2026-11-20 09:59"),
            ("Asia/Urumqi", "2026-11-20 07:59"),
        ):
            settings = make_settings(url, tmp_path, timezone=zone)
            env = Console(console_app(settings, db, clock), settings, db, clock, registry, tmp_path)
            if zone == "Asia/Shanghai":
                add_alerts(env, 1)  # discovered 01:59 UTC
            client = TestClient(env.app)
            login(client, "reviewer")
            item = re.search(
                r'<span class="meta">([^<]+)</span>', client.get("/console/queue").text
            )
            assert item[1].startswith(shown), (zone, item[1])
    finally:
        db.dispose()
