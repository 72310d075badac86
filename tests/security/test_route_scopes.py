"""The authorization matrix, generated from the routes: every route of both OpenAPIs (platform
API and officer app) × every role × own squad's ids / another squad's ids / no token.

Expectations come from each route's declared scope rule (platform/api/scope.py): no token →
401 (public routes: anything but 401); a role outside the rule → 403; an officer or squad leader
naming another squad's thing → 404; an allowed GET → 200; never a 5xx; and no response to an
officer or squad leader of squad A contains anything of squad B (shop, mobile, alert, case
number, evidence hashes, SMS text). A route without a rule fails the first test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import pytest
from fastapi import APIRouter, FastAPI

from streetorder.platform.api.deps import AdminUser, Public, api_scope
from streetorder.platform.domain.roles import Actor, Role
from streetorder.server import create_app
from streetorder.server.migrate import upgrade
from tests.platform.conftest import make_settings
from tests.security.city import NODE, City, build_city
from tests.security.routes import Call, api_routes, fill, rules_of, undeclared

#: caller → (role, login name); officers and leaders are squad A's
CALLERS = {
    "officer": (Role.OFFICER, "officer-a"),
    "squad_leader": (Role.SQUAD_LEADER, "leader-a"),
    "reviewer": (Role.REVIEWER, "reviewer"),
    "admin": (Role.ADMIN, "admin"),
    "edge_node": (Role.EDGE_NODE, NODE),
}
SQUAD_OWNED = {
    "case_id", "alert_id", "work_order_id", "file_id", "message_id", "shop_id", "merchant_id",
    "street_code", "street_id", "squad_id", "photo_id",
}  # fmt: skip


@pytest.fixture
def city(database_url: str, tmp_path: Path) -> Iterator[City]:
    built = build_city(database_url, tmp_path)
    try:
        yield built
    finally:
        built.client.close()
        built.db.dispose()


def _values(city: City, side: str) -> dict[str, object]:
    s = city.sides[side]
    return {
        "case_id": s.case_id, "alert_id": s.alert_id, "work_order_id": s.work_order_id,
        "file_id": s.file_id, "message_id": s.message_id, "shop_id": s.shop_id,
        "merchant_id": s.merchant_id, "street_code": s.street_code, "street_id": s.street_id,
        "squad_id": s.squad_id, "photo_id": s.photo_id, "zone_code": s.zone_code,
        "user_id": s.officer_id, "node_code": NODE, "camera_code": "cam-01",
        "filename": "clean.jpg", "sig": "not-a-signature",
    }  # fmt: skip


def _order(call: Call) -> int:
    """Reads first, then writes, deletions last (they remove what later calls name)."""
    return {"GET": 0, "DELETE": 2}.get(call.method, 1)


def _bare_app(tmp_path: Path) -> FastAPI:
    url = f"sqlite:///{tmp_path / 'bare.db'}"
    upgrade(url)
    return create_app(make_settings(url, tmp_path))


def test_every_route_declares_one_scope_rule(tmp_path: Path) -> None:
    app = _bare_app(tmp_path)
    routes = list(api_routes(app))
    assert len(routes) > 90  # both APIs are there
    assert any(r.path.startswith("/api/mobile/v1/") for r in routes)
    assert undeclared(app) == []


def test_a_route_without_a_rule_is_found(tmp_path: Path) -> None:
    """The property the first test relies on, on a throwaway app and on the real one."""
    router = APIRouter()

    @router.get("/forgotten")
    def forgotten() -> dict[str, str]:
        return {}

    @router.get("/declared", dependencies=[Public()])
    def declared() -> dict[str, str]:
        return {}

    @router.get("/admin")
    def admin_only(actor: AdminUser) -> dict[str, str]:
        return {}

    @router.get("/twice")
    def twice(
        actor: AdminUser, other: Annotated[Actor, api_scope.roles(Role.REVIEWER)]
    ) -> dict[str, str]:
        return {}

    throwaway = FastAPI()
    throwaway.include_router(router)
    assert undeclared(throwaway) == [
        "['GET'] /forgotten: 0 scope rules",
        "['GET'] /twice: 2 scope rules",
    ]
    real = _bare_app(tmp_path)
    real.include_router(router, prefix="/api/v1/extra")
    assert "['GET'] /api/v1/extra/forgotten: 0 scope rules" in undeclared(real)


def _calls(city: City) -> list[tuple[Call, object, str]]:
    """(call, rule, variant) for every route, method and variant, in a safe order."""
    out = []
    for route in api_routes(city.app):
        [rule] = rules_of(route.dependant)
        for method in sorted(route.methods):
            for variant, side in (("own", "a"), ("other", "b")):
                call = fill(route, method, _values(city, side), SQUAD_OWNED)
                out.append((call, rule, variant))
    return sorted(out, key=lambda item: _order(item[0]))


def _send(city: City, call: Call, headers: dict[str, str]):
    kwargs: dict = {"params": call.params, "headers": headers}
    if call.body is not None:
        kwargs["json"] = call.body
    return city.client.request(call.method, call.path, **kwargs)


def _check(call: Call, rule, variant: str, caller: str | None, api: str, response) -> str | None:
    status = response.status_code
    where = f"{call.method} {call.path} {call.params or ''} as {caller or 'nobody'} ({variant})"
    if status >= 500:
        return f"{where}: {status} {response.text[:200]}"
    if caller is None:
        if rule.kind == "public":
            return f"{where}: public route answered 401" if status == 401 else None
        return None if status == 401 else f"{where}: {status} without a token, not 401"
    role = CALLERS[caller][0]
    if api == "mobile" and role not in (Role.OFFICER, Role.SQUAD_LEADER) and rule.kind != "public":
        ok = status in (401, 403)  # the officer app's logins are officers' and squad leaders'
        return None if ok else f"{where}: {status}, not 401/403"
    if not rule.allows(role):
        return None if status == 403 else f"{where}: {status}, not 403"
    if rule.squad_limited(role) and variant == "other" and call.scoped_param:
        return None if status == 404 else f"{where}: {status}, not 404 (another squad's)"
    if call.method == "GET" and status != 200 and rule.kind != "public":
        if status == 404 and call.guessed:
            return None  # no fixture for this id: a 404 is right
        return f"{where}: {status} for an allowed read: {response.text[:200]}"
    return None


@pytest.mark.slow
def test_authorization_matrix(city: City) -> None:
    failures: list[str] = []
    leaks: list[str] = []
    counted = 0
    for call, rule, variant in _calls(city):
        api = "mobile" if call.path.startswith("/api/mobile/v1/") else "platform"
        for caller in (None, *CALLERS):
            if caller is None and variant == "other":
                continue
            headers = {}
            if caller is not None:
                role, name = CALLERS[caller]
                app_login = api == "mobile" and role in (Role.OFFICER, Role.SQUAD_LEADER)
                headers = city.headers(name, "mobile" if app_login else "platform")
            response = _send(city, call, headers)
            counted += 1
            if "/auth/" in call.path and call.method != "GET":
                city.tokens.clear()  # a logout may have ended the caller's tokens
            problem = _check(call, rule, variant, caller, api, response)
            if problem:
                failures.append(problem)
            if caller in ("officer", "squad_leader"):
                text = response.text
                for asked in (*call.path.split("/"), *map(str, call.params.values())):
                    text = text.replace(asked, "") if len(asked) > 3 else text  # "… not found"
                seen = [m for m in city.markers["b"] if m in text]
                if seen:
                    leaks.append(f"{call.method} {call.path} {call.params} as {caller}: {seen}")
    assert counted > 1000
    assert not leaks, "squad B's data seen by squad A:\n" + "\n".join(leaks)
    assert not failures, f"{len(failures)} of {counted} cells:\n" + "\n".join(failures)


@pytest.mark.parametrize(
    ("who", "path", "key", "field"),
    [
        ("officer-a", "/api/v1/alerts", "alert_id", "alert_id"),
        ("leader-a", "/api/v1/sms", "message_id", "id"),
        ("officer-a", "/api/v1/merchants", "shop_id", "shop_id"),
        ("leader-a", "/api/v1/work-orders", "work_order_id", "id"),
        ("officer-a", "/api/v1/cases", "case_id", "id"),
    ],
)
def test_own_squad_sees_its_data_and_only_that(
    city: City, who: str, path: str, key: str, field: str
) -> None:
    """The lists the leaks were in: squad A's officers see squad A's rows (so the matrix's
    leak check could fail) and not squad B's; the command centre sees both."""

    def listed(username: str) -> set:
        r = city.client.get(path, headers=city.headers(username), params={"limit": 500})
        assert r.status_code == 200, r.text
        return {row[field] for row in r.json()["data"]}

    a, b = (getattr(city.sides[x], key) for x in "ab")
    assert listed(who) == {a}
    assert {a, b} <= listed("admin")


def test_the_nine_leaks_of_issue_23_answer_404(city: City) -> None:
    b = city.sides["b"]
    for who in ("officer-a", "leader-a"):
        for path, params in (
            ("/api/v1/alerts", {"case_id": b.case_id}),
            (f"/api/v1/alerts/{b.alert_id}", {}),
            ("/api/v1/merchants", {"street_code": b.street_code}),
        ):
            r = city.client.get(path, params=params, headers=city.headers(who))
            assert r.status_code == 404, (who, path, r.text)
            assert r.json()["detail"].endswith("not found")
        listed = city.client.get("/api/v1/alerts", headers=city.headers(who)).json()
        assert [a["alert_id"] for a in listed["data"]] == [city.sides["a"].alert_id]
    r = city.client.get("/api/v1/sms", params={"case_id": b.case_id},
                        headers=city.headers("leader-a"))  # fmt: skip
    assert r.status_code == 404
    r = city.client.get("/api/v1/sms", params={"case_id": b.case_id},
                        headers=city.headers("reviewer"))  # fmt: skip
    assert r.status_code == 200 and r.json()["count"] == 1
