"""Sessions that end: logging out ends the console cookie and the API login's tokens, copies
kept before included; a reused refresh token ends the officer app login's access tokens too;
a role's access-token lifetime holds on every login route."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from streetorder.errors import ConfigError
from streetorder.mobile_api.settings import MobileSettings
from streetorder.platform.db import Case
from streetorder.platform.settings import settings_from_mapping
from streetorder.server.settings import ServerSettings, server_settings_from_mapping

from .conftest import PASSWORD, SECRET

FORM_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PAGE_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
MOBILE = "/api/mobile/v1"


def console_login(client: TestClient, username: str) -> str:
    """Log in through the form; the page's CSRF token."""
    token = FORM_CSRF.search(client.get("/console/login").text)[1]
    form = {"username": username, "password": PASSWORD, "csrf_token": token}
    r = client.post("/console/login", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    return PAGE_CSRF.search(client.get("/console/queue").text)[1]


def pending_case(p) -> int:
    alert = p.alerts()
    p.deliver(alert)
    with p.db.session() as s:
        return s.scalar(select(Case.id).filter_by(alert_id=alert.alert_id))


def api_login(p, username: str, path: str = "/api/v1/auth/login") -> dict:
    r = p.client.post(path, json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return r.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_console_cookie_saved_before_logout_opens_nothing_after_it(platform) -> None:
    p = platform
    case_id = pending_case(p)
    client = TestClient(p.client.app)
    csrf = console_login(client, "reviewer")
    saved = dict(client.cookies)  # what an attacker copied (or a second tab) before logout
    other = TestClient(p.client.app)  # another login of the same user stays open
    other_csrf = console_login(other, "reviewer")
    out = client.post("/console/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303

    replay = TestClient(p.client.app, cookies=saved)
    queue = replay.get("/console/queue", follow_redirects=False)
    assert queue.status_code == 303 and queue.headers["location"].startswith("/console/login")
    review = replay.post(f"/console/cases/{case_id}/review", json={"verdict": "confirm"},
                         headers={"X-CSRF-Token": csrf}, follow_redirects=False)  # fmt: skip
    assert review.status_code in (303, 401), review.text
    with p.db.session() as s:
        assert s.get(Case, case_id).state == "pending_review"  # the review did not happen

    assert other.get("/console/queue").status_code == 200
    done = other.post(f"/console/cases/{case_id}/review", json={"verdict": "confirm"},
                      headers={"X-CSRF-Token": other_csrf})  # fmt: skip
    assert done.status_code == 200, done.text


def test_api_logout_ends_that_logins_access_and_refresh_tokens(platform) -> None:
    p = platform
    first, second = api_login(p, "reviewer"), api_login(p, "reviewer")
    assert p.client.get("/api/v1/auth/me", headers=bearer(first["access_token"])).status_code == 200
    out = p.client.post("/api/v1/auth/logout", headers=bearer(first["access_token"]))
    assert out.status_code == 204
    after = p.client.get("/api/v1/cases", headers=bearer(first["access_token"]))
    assert after.status_code == 401 and "logged out" in after.json()["detail"]
    refresh = p.client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert refresh.status_code == 401
    assert (
        p.client.get("/api/v1/auth/me", headers=bearer(second["access_token"])).status_code == 200
    )
    renewed = p.client.post("/api/v1/auth/refresh",
                            json={"refresh_token": second["refresh_token"]})  # fmt: skip
    assert renewed.status_code == 200
    assert p.client.post("/api/v1/auth/logout").status_code == 401  # no token: nothing to end


def test_a_reused_refresh_token_ends_the_logins_access_tokens(platform) -> None:
    p = platform
    pair = api_login(p, "officer", f"{MOBILE}/auth/login")
    old_access = pair["access_token"]
    assert p.client.get(f"{MOBILE}/me", headers=bearer(old_access)).status_code == 200
    rotated = p.client.post(f"{MOBILE}/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert rotated.status_code == 200
    new_access = rotated.json()["access_token"]
    reuse = p.client.post(f"{MOBILE}/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert reuse.status_code == 401 and reuse.json()["code"] == "session.token_reused"
    assert "所有登录均已结束" in reuse.json()["detail"]  # the officer app reads Chinese
    for token in (old_access, new_access):  # both still inside their 15 minutes
        assert p.client.get(f"{MOBILE}/me", headers=bearer(token)).status_code == 401
        assert p.client.get(f"{MOBILE}/tasks", headers=bearer(token)).status_code == 401
        assert p.client.get("/api/v1/auth/me", headers=bearer(token)).status_code == 401
    fresh = api_login(p, "officer", f"{MOBILE}/auth/login")  # a new login works
    assert p.client.get(f"{MOBILE}/me", headers=bearer(fresh["access_token"])).status_code == 200
    out = p.client.post(f"{MOBILE}/auth/logout", json={"refresh_token": fresh["refresh_token"]})
    assert out.status_code == 204
    assert p.client.get(f"{MOBILE}/me", headers=bearer(fresh["access_token"])).status_code == 401


@pytest.mark.parametrize("route", ["/api/v1/auth/login", f"{MOBILE}/auth/login"])
def test_an_officers_token_lasts_the_officer_apps_lifetime_on_every_login_route(
    platform, route: str
) -> None:
    p = platform
    minutes = MobileSettings().tokens.access_minutes
    pair = api_login(p, "officer", route)
    token = pair["access_token"]
    if "expires_in" in pair:
        assert pair["expires_in"] == minutes * 60
    for path in (f"{MOBILE}/me", "/api/v1/auth/me"):
        assert p.client.get(path, headers=bearer(token)).status_code == 200
    p.clock.advance(minutes=minutes, seconds=1)
    for path in (f"{MOBILE}/me", "/api/v1/auth/me"):
        r = p.client.get(path, headers=bearer(token))
        assert r.status_code == 401 and r.json()["code"] == "session.token_expired"
        said = "登录已过期" if path.startswith(MOBILE) else "token expired"  # app: Chinese
        assert said in r.json()["detail"]


def test_other_roles_keep_the_platforms_lifetime(platform) -> None:
    p = platform
    for who in ("reviewer", "admin"):
        pair = api_login(p, who)
        assert pair["expires_in"] == p.settings.auth.access_token_minutes * 60
    assert api_login(p, "leader")["expires_in"] == MobileSettings().tokens.access_minutes * 60
    p.clock.advance(hours=11)
    assert p.client.get("/api/v1/auth/me", headers=bearer(pair["access_token"])).status_code == 200


def test_the_app_roles_lifetime_is_one_setting() -> None:
    base = {"environment": "test", "secret_key": SECRET}
    merged = server_settings_from_mapping({**base, "mobile": {"tokens": {"access_minutes": 20}}})
    assert merged.platform.auth.access_minutes("officer") == 20
    assert merged.platform.auth.access_minutes("squad_leader") == 20
    assert merged.platform.auth.access_minutes("reviewer") == 12 * 60
    with pytest.raises(ConfigError, match="differs from mobile.tokens.access_minutes"):
        server_settings_from_mapping(
            {**base, "auth": {"access_token_minutes_by_role": {"officer": 600}}}
        )
    alone = ServerSettings(platform=settings_from_mapping(base))
    assert alone.platform.auth.access_minutes("officer") == 15  # the app's default
    assert timedelta(minutes=alone.platform.auth.access_minutes("admin")) == timedelta(hours=12)
