"""The console (/console, in no OpenAPI) under the same rule: every page declares who may open
it, and no page shows squad A's officer or squad leader anything of squad B."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from tests.security.city import PASSWORD, City, build_city
from tests.security.routes import rules_of
from tests.web.test_console_http import login

#: pages anyone may open: the login form, logging in and out, the start page's redirect
PUBLIC_PAGES = {
    ("GET", "/console/login"), ("POST", "/console/login"), ("POST", "/console/logout"),
    ("GET", "/console/"),
}  # fmt: skip


@pytest.fixture
def city(database_url: str, tmp_path: Path) -> Iterator[City]:
    built = build_city(database_url, tmp_path)
    try:
        yield built
    finally:
        built.client.close()
        built.db.dispose()


def console_routes(city: City) -> list:
    return [
        c
        for c in iter_route_contexts(city.app.routes)
        if isinstance(c.original_route, APIRoute) and c.path.startswith("/console")
    ]


def test_every_console_page_declares_who_may_open_it(city: City) -> None:
    routes = console_routes(city)
    assert len(routes) > 15
    undeclared = [
        f"{sorted(r.methods)} {r.path}"
        for r in routes
        if len(rules_of(r.dependant)) != 1
        and not any((m, r.path) in PUBLIC_PAGES for m in r.methods)
    ]
    assert undeclared == []


def test_no_console_page_shows_another_squads_data(city: City) -> None:
    a, b = city.sides["a"], city.sides["b"]
    leaks, checked = [], 0
    for username in ("officer-a", "leader-a"):
        client = TestClient(city.app, raise_server_exceptions=False)
        assert login(client, username, PASSWORD).status_code == 303
        for route in console_routes(city):
            if "GET" not in route.methods or "{" in route.path and "static" in route.path:
                continue
            for side in (a, b):
                path = (
                    route.path.replace("{case_id}", str(side.case_id))
                    .replace("{file_id}", str(side.file_id))
                    .replace("{alert_id}", side.alert_id)
                    .replace("{filename}", "clean.jpg")
                )
                path = path.replace("{camera_id}", "1").replace("{code}", "x")
                response = client.get(path, follow_redirects=False)
                checked += 1
                assert response.status_code < 500, (path, response.text[:300])
                if side is b and "{" in route.path:
                    assert response.status_code in (403, 404), (username, path)
                text = response.text
                for asked in path.split("/"):
                    text = text.replace(asked, "") if len(asked) > 3 else text
                seen = [m for m in city.markers["b"] if m in text]
                if seen:
                    leaks.append(f"{path} as {username}: {seen}")
        client.close()
    assert checked > 30
    assert leaks == []
    # the check can see a leak: the command centre's SMS outbox does show squad B's messages
    admin = TestClient(city.app, raise_server_exceptions=False)
    login(admin, "admin", PASSWORD)
    outbox = admin.get("/console/sms").text
    assert any(m in outbox for m in city.markers["b"]), "squad B's SMS text in the outbox"
    admin.close()
