"""Who sees what: own squad only (others' things are 404), tokens expire and rotate, roles."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.mobile_api import photo_factory as pf
from tests.mobile_api.world import PASSWORD, World


def test_another_squads_work_order_does_not_exist(world: World) -> None:
    case_id, order_id, evidence_ids = world.dispatch_alert("shop-1")
    assert world.get("officer-b", "/tasks").json()["data"] == []
    for path in (f"/work-orders/{order_id}", f"/work-orders/{order_id}/before-after",
                 f"/files/{evidence_ids[0]}"):  # fmt: skip
        response = world.get("officer-b", path)
        assert response.status_code == 404, path
        assert world.get("officer-a", path).status_code == 200, path
    for action, body in (("acknowledge", None), ("order-to-correct", {}), ("complete", {})):
        response = world.post("officer-b", f"/work-orders/{order_id}/{action}", json=body)
        assert response.status_code == 404, action
    response = world.post(
        "officer-b", f"/work-orders/{order_id}/photos",
        files={"file": ("a.jpg", pf.jpeg(), "image/jpeg")},
    )  # fmt: skip
    assert response.status_code == 404
    assert world.get("officer-b", f"/merchants/{world.shops['shop-1']}/risk").status_code == 404
    assert world.get("officer-a", "/work-orders/999999").status_code == 404


def test_tokens(world: World) -> None:
    assert world.client.get("/api/mobile/v1/tasks").status_code == 401
    bad = {"Authorization": "Bearer nonsense.token"}
    assert world.client.get("/api/mobile/v1/tasks", headers=bad).status_code == 401
    response = world.client.post(
        "/api/mobile/v1/auth/login", json={"username": "officer-a", "password": "wrong-password"}
    )
    assert response.status_code == 401
    response = world.client.post(
        "/api/mobile/v1/auth/login", json={"username": "reviewer", "password": PASSWORD}
    )
    assert response.status_code == 403  # the app is for officers and squad leaders

    pair = world.login("officer-a")
    auth = {"Authorization": f"Bearer {pair['access_token']}"}
    me = world.client.get("/api/mobile/v1/me", headers=auth).json()
    assert me["user"]["username"] == "officer-a" and me["squad"]["code"] == "Q-A"
    world.clock.advance(timedelta(minutes=16))  # access tokens are short-lived
    assert world.client.get("/api/mobile/v1/me", headers=auth).status_code == 401

    refresh = world.client.post(
        "/api/mobile/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert refresh.status_code == 200
    new = refresh.json()
    auth = {"Authorization": f"Bearer {new['access_token']}"}
    assert world.client.get("/api/mobile/v1/me", headers=auth).status_code == 200
    # the used refresh token coming back means it leaked: the whole login is ended
    reuse = world.client.post(
        "/api/mobile/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert reuse.status_code == 401 and "已被使用过" in reuse.json()["detail"]  # in Chinese
    again = world.client.post(
        "/api/mobile/v1/auth/refresh", json={"refresh_token": new["refresh_token"]}
    )
    assert again.status_code == 401 and "revoked" in again.json()["detail"]


def test_refresh_retry_with_key_replays(world: World) -> None:
    """A phone that lost the refresh answer retries with the same key and gets the same pair."""
    pair = world.login("officer-a")
    body = {"refresh_token": pair["refresh_token"]}
    headers = {"Idempotency-Key": "refresh-0001-abcd"}
    first = world.client.post("/api/mobile/v1/auth/refresh", json=body, headers=headers)
    second = world.client.post("/api/mobile/v1/auth/refresh", json=body, headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json() and second.headers["Idempotent-Replayed"] == "true"
    logout = world.client.post(
        "/api/mobile/v1/auth/logout", json={"refresh_token": first.json()["refresh_token"]}
    )
    assert logout.status_code == 204
    after = world.client.post(
        "/api/mobile/v1/auth/refresh", json={"refresh_token": first.json()["refresh_token"]}
    )
    assert after.status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/squad/summary", None),
        (
            "post",
            "/special-inspections",
            {"title": "x", "due_at": "2026-12-01T00:00:00Z", "area": "长宁路"},
        ),  # fmt: skip
    ],
)
def test_leader_only(world: World, method: str, path: str, body: dict | None) -> None:
    if method == "get":
        assert world.get("officer-a", path).status_code == 403
        assert world.get("leader-a", path).status_code == 200
    else:
        assert world.post("officer-a", path, json=body).status_code == 403
        assert world.post("leader-a", path, json=body).status_code == 201


def test_officer_cannot_verify_or_inspect_other_streets(world: World) -> None:
    _, order_id, _ = world.dispatch_alert("shop-1")
    response = world.post("officer-a", f"/work-orders/{order_id}/verify", json={"passed": True})
    assert response.status_code == 403
    keys = ("out_of_shop_trading", "pavement_occupied", "frontage_clean", "signboard_safe")
    answers = dict.fromkeys((*keys, "waste_sorted"), "pass")
    response = world.post(
        "officer-a", "/inspections", json={"merchant_id": world.shops["shop-9"], "answers": answers}
    )
    assert response.status_code == 404


def test_another_squads_tasks_and_photos_do_not_exist(world: World) -> None:
    from tests.mobile_api.test_mobile_api_inspections import CLEAN, run_scheduler

    run_scheduler(world)
    task = world.get("officer-a", "/tasks", params={"kind": "inspection"}).json()["data"][0]
    photo = world.post(
        "officer-a", "/photos", files={"file": ("a.jpg", pf.jpeg(), "image/jpeg")}
    ).json()
    for path in (f"/photos/{photo['id']}", f"/photos/{photo['id']}/content"):
        assert world.get("officer-b", path).status_code == 404
        assert world.get("leader-a", path).status_code == 200  # the leader sees the squad's
    response = world.post(
        "officer-b", "/inspections", json={"task_id": task["ref_id"], "answers": CLEAN}
    )
    assert response.status_code == 404
    # nor can another squad's photo be cited in an inspection
    response = world.post(
        "officer-b", "/inspections",
        json={"merchant_id": world.shops["shop-9"], "answers": CLEAN, "photo_ids": [photo["id"]]},
    )  # fmt: skip
    assert response.status_code == 404
    leader_view = world.get("leader-a", "/tasks", params={"kind": "inspection"}).json()
    assert leader_view["count"] == 3  # the squad's three shops; shop-9 belongs to squad B


def test_refusals_speak_the_officers_language_chinese_unless_they_chose_english(
    world: World,
) -> None:
    """The app shows ``detail`` as it comes: Chinese by default, English for a user whose
    language (the console's per-user setting) is English; ``code`` is the same either way."""
    from streetorder.platform.services import accounts

    _, order_id, _ = world.dispatch_alert("shop-1")
    zh = world.post("officer-a", f"/work-orders/{order_id}/complete", json={})
    with world.db.session() as session:
        user = accounts.user_by_username(session, username="officer-a")
        accounts.set_language(session, user_id=user.id, language="en")
    en = world.post("officer-a", f"/work-orders/{order_id}/complete", json={})
    assert zh.status_code == en.status_code == 409
    assert zh.json()["code"] == en.json()["code"] == "refusal.guard"
    assert "须上传改正后照片" in zh.json()["detail"], zh.json()
    assert "an after-correction photo is required" in en.json()["detail"], en.json()
    missing = world.get("officer-a", "/work-orders/999999")
    assert missing.status_code == 404 and missing.json()["detail"].endswith("not found")
