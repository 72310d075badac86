"""Refusals: evidence upload (wrong hash, unknown alert, other node, too large), authentication
and roles (401/403), invalid transitions (409), duplicates, bad registry input."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from streetorder.platform.domain.errors import InvalidInput


def put(p, alert_id: str, name: str, data: bytes, headers: dict, sha: str | None = None):
    return p.client.put(
        f"/api/v1/alerts/{alert_id}/evidence/{name}", content=data,
        headers={**headers, "Content-Type": "image/jpeg",
                 "X-Content-Sha256": sha or hashlib.sha256(data).hexdigest()},
    )  # fmt: skip


def other_node_key(p) -> str:
    admin = p.login("admin")
    assert (
        p.client.post("/api/v1/nodes", json={"code": "edge-99"}, headers=admin).status_code == 201
    )
    r = p.client.post(
        "/api/v1/users", headers=admin,
        json={"username": "edge-99", "role": "edge_node", "node_code": "edge-99"},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    return r.json()["api_key"]


def test_evidence_upload_refusals(platform_factory) -> None:
    p = platform_factory(evidence={"max_upload_mb": 0.01})
    alert = p.alerts()
    clean = p.alerts.files[alert.alert_id]["clean.jpg"]
    node = p.as_node()
    r = put(p, alert.alert_id, "clean.jpg", clean, node)
    assert (r.status_code, r.json()["detail"]) == (409, "alert not yet received")
    p.deliver(alert)
    assert put(p, alert.alert_id, "clean.jpg", clean, node).status_code == 201
    assert put(p, alert.alert_id, "clean.jpg", clean, node).status_code == 200  # same bytes again
    r = put(p, alert.alert_id, "clean.jpg", clean, node, sha="0" * 64)
    assert r.status_code == 400 and "X-Content-Sha256" in r.json()["detail"]
    r = put(p, alert.alert_id, "other.jpg", clean, node)
    assert r.status_code == 400 and "not in the alert's evidence list" in r.json()["detail"]
    r = put(p, alert.alert_id, "annotated.jpg", clean, node)  # consistent header, wrong file
    assert r.status_code == 422 and "differs from the alert's evidence" in r.json()["detail"]
    assert put(p, alert.alert_id, "clean.jpg", clean, {}).status_code == 401
    bad = {"Authorization": "Bearer sok_wrong-key-000000000000"}
    assert put(p, alert.alert_id, "clean.jpg", clean, bad).status_code == 401
    other = {"Authorization": f"Bearer {other_node_key(p)}"}
    r = put(
        p, alert.alert_id, "annotated.jpg", p.alerts.files[alert.alert_id]["annotated.jpg"], other
    )
    assert r.status_code == 403
    assert put(p, alert.alert_id, "big.jpg", b"\xff" * 20000, node).status_code == 413
    assert put(p, alert.alert_id, "clean.jpg", clean, p.login("reviewer")).status_code == 403

    case = p.case_of(alert.alert_id)
    [stored] = case["evidence"]
    r = p.client.get(stored["url"], headers=p.login("reviewer"))
    assert r.status_code == 200 and r.content == clean
    assert p.client.get(stored["url"]).status_code == 401


def test_authentication_and_roles(platform) -> None:
    p = platform
    alert = p.alerts()
    p.deliver(alert)
    case_id = p.case_of(alert.alert_id)["id"]
    assert p.client.get("/api/v1/cases").status_code == 401
    garbage = {"Authorization": "Bearer not-a-token"}
    assert p.client.get("/api/v1/cases", headers=garbage).status_code == 401
    r = p.client.post("/api/v1/auth/login", json={"username": "reviewer", "password": "wrong-pass"})
    assert r.status_code == 401
    r = p.client.post("/api/v1/auth/login", json={"username": "edge-01", "password": "whatever1"})
    assert r.status_code == 401  # node keys are not passwords
    login = p.client.post(
        "/api/v1/auth/login", json={"username": "reviewer", "password": "streetorder-demo"}
    ).json()
    p.clock.advance(hours=13)  # access tokens last 12 h
    expired = {"Authorization": f"Bearer {login['access_token']}"}
    r = p.client.get("/api/v1/cases", headers=expired)
    assert r.status_code == 401 and r.json()["detail"] == "token expired"
    refreshed = p.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": login["refresh_token"]}
    )
    assert refreshed.status_code == 200
    r = p.client.post("/api/v1/auth/refresh", json={"refresh_token": login["access_token"]})
    assert r.status_code == 401  # an access token is not a refresh token

    r = p.client.post(f"/api/v1/cases/{case_id}/confirm", json={}, headers=p.login("officer"))
    assert r.status_code == 403 and "role officer cannot confirm" in r.json()["detail"]
    assert p.client.get("/api/v1/cases", headers=p.as_node()).status_code == 403
    r = p.client.post(
        "/api/v1/merchants", headers=p.login("reviewer"), json={"shop_id": "x", "name": "x"}
    )
    assert r.status_code == 403
    # an officer of another squad does not see the case at all
    admin = p.login("admin")
    p.client.post("/api/v1/streets", json={"code": "other", "name": "别的街道"}, headers=admin)
    p.client.post("/api/v1/squads", json={"code": "sq-2", "name": "二中队", "street_code": "other"},
                  headers=admin)  # fmt: skip
    r = p.client.post(
        "/api/v1/users",
        headers=admin,
        json={
            "username": "stranger",
            "role": "officer",
            "password": "stranger-pass",
            "squad_code": "sq-2",
        },
    )
    assert r.status_code == 201, r.text
    p.post("reviewer", f"/cases/{case_id}/confirm")
    assert (
        p.client.get(
            f"/api/v1/cases/{case_id}", headers=p.login("stranger", "stranger-pass")
        ).status_code
        == 404
    )
    assert p.client.get(f"/api/v1/cases/{case_id}", headers=p.login("officer")).status_code == 200
    orders = p.client.get(
        "/api/v1/work-orders", headers=p.login("stranger", "stranger-pass")
    ).json()
    assert orders["count"] == 0


def test_invalid_transitions_answer_409_with_the_reason(platform) -> None:
    p = platform
    alert = p.alerts()
    p.deliver(alert)
    case_id = p.case_of(alert.alert_id)["id"]
    r = p.client.post(f"/api/v1/cases/{case_id}/close", json={}, headers=p.login("reviewer"))
    assert (r.status_code, r.json()["detail"]) == (
        409,
        "cannot close a case that is pending_review",
    )
    r = p.client.post(
        f"/api/v1/cases/{case_id}/reject", json={"reason": ""}, headers=p.login("reviewer")
    )
    assert r.status_code == 422
    p.post("reviewer", f"/cases/{case_id}/confirm")
    r = p.client.post(f"/api/v1/cases/{case_id}/confirm", json={}, headers=p.login("reviewer"))
    assert (r.status_code, r.json()["detail"]) == (
        409,
        "cannot confirm a case that is notified_dispatched",
    )
    r = p.client.post(f"/api/v1/cases/{case_id}/verify", json={}, headers=p.login("reviewer"))
    assert r.status_code == 409
    # a photo of another case does not count
    second = p.alerts(zone="z2", shop="shop-002")
    p.deliver(second)
    other_id = p.case_of(second.alert_id)["id"]
    photo = p.photo(other_id, who="reviewer")
    r = p.client.post(f"/api/v1/cases/{case_id}/rectify", json={"photo_ids": [photo]},
                      headers=p.login("officer"))  # fmt: skip
    assert r.status_code == 422
    r = p.client.post(f"/api/v1/cases/{case_id}/photos", headers=p.login("officer"),
                      files={"file": ("x.jpg", b"GIF89a-not-a-jpeg", "image/jpeg")})  # fmt: skip
    assert r.status_code == 415 and "GIF files are not accepted" in r.json()["detail"]
    events = p.client.get(f"/api/v1/cases/{case_id}/events", headers=p.login("reviewer")).json()
    assert [e["event"] for e in events] == ["discover", "register", "confirm", "dispatch"]
    # rejection with a reason is final
    r = p.client.post(f"/api/v1/cases/{other_id}/reject", json={"reason": "shadow, not goods"},
                      headers=p.login("reviewer"))  # fmt: skip
    assert r.status_code == 200 and r.json()["state"] == "rejected"
    assert r.json()["sms"] == [] and r.json()["work_orders"] == []


def test_duplicates_reminders_and_unregistered_shops(platform) -> None:
    p = platform
    alert = p.alerts()
    outcomes = [p.deliver(alert) for _ in range(3)]
    assert [len(o.created) for o in outcomes] == [1, 0, 0]
    assert [len(o.duplicates) for o in outcomes] == [0, 1, 1]
    reminder = p.alerts(reminder=1, started_at=alert.episode_started_at)
    both = p.deliver(reminder, reminder)
    assert both.attached == [reminder.alert_id] and both.duplicates == [reminder.alert_id]
    case = p.case_of(alert.alert_id)
    assert case["alert_count"] == 2 and len(case["alerts"]) == 2
    assert [e["event"] for e in case["events"]][-1] == "reminder"
    # a first alert and its reminder in one batch still make one case
    start = p.clock.now - timedelta(hours=1)
    first, again = p.alerts(zone="z2", shop="shop-002", started_at=start), p.alerts(
        zone="z2", shop="shop-002", started_at=start, reminder=1)  # fmt: skip
    outcome = p.deliver(again, first)
    assert outcome.created == [first.alert_id] and outcome.attached == [again.alert_id]

    stranger = p.alerts(zone="z9", shop="shop-unknown")
    p.deliver(stranger)
    case = p.case_of(stranger.alert_id)
    assert case["merchant"] is None and case["state"] == "pending_review"
    r = p.client.post(f"/api/v1/cases/{case['id']}/confirm", json={}, headers=p.login("reviewer"))
    assert r.status_code == 409 and "not a registered merchant" in r.json()["detail"]


def test_registry_csv_import_and_validation(platform) -> None:
    p = platform
    admin = {**p.login("admin"), "Content-Type": "text/csv"}
    csv_text = (
        "shop_id,name,address,credit_code,responsible_person,mobile,risk_colour,street_code\n"
        "shop-100,一号店,东方路1号,913101150000000120,张三,+86 138-0013-9000,red,huamu\n"
        "shop-101,二号店,东方路2号,913101150000000121,李四,13800139001,green,huamu\n"
        "shop-102,坏店,,,,12345,green,huamu\n"
        "shop-001,改名店,,,,13800139002,,\n"
    )
    r = p.client.post("/api/v1/merchants/import", content=csv_text.encode(), headers=admin)
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["created"], report["updated"]) == (1, 1)
    assert len(report["errors"]) == 2
    assert report["errors"][0].startswith("line 3: '913101150000000121': the check character")
    assert report["errors"][1].startswith("line 4: '12345' is not a mainland China mobile")
    m = p.client.get("/api/v1/merchants/shop-100", headers=p.login("reviewer")).json()
    assert m["mobile"] == "13800139000" and m["risk_colour"] == "red"
    zones = (
        "node_code,camera_code,zone_code,shop_id,polygon,dwell_seconds\n"
        "edge-01,cam-01,z5,shop-100,0.1 0.1; 0.3 0.1; 0.3 0.3,90\n"
        "edge-01,cam-01,z6,shop-100,0.1 0.1; 1.3 0.1; 0.3 0.3,\n"
        "edge-01,cam-77,z7,shop-100,0.1 0.1; 0.3 0.1; 0.3 0.3,\n"
    )
    r = p.client.post("/api/v1/zones/import", content=zones.encode(), headers=admin)
    report = r.json()
    assert report["created"] == 1 and len(report["errors"]) == 2, report
    assert (
        "outside 0..1" in report["errors"][0]
        and "camera of node edge-01 not found" in report["errors"][1]
    )
    history = p.client.get("/api/v1/nodes/edge-01/config", headers=p.login("admin")).json()
    assert history[0]["revision"] == 1 and history[0]["published"] is False  # no broker here
    with pytest.raises(InvalidInput):
        from streetorder.platform.domain.identifiers import normalise_mobile

        normalise_mobile("010-12345678")


def test_public_evidence_link_is_signed(platform) -> None:
    p = platform
    alert = p.alerts()
    p.deliver(alert)
    p.upload_evidence(alert)
    case = p.post("reviewer", f"/cases/{p.case_of(alert.alert_id)['id']}/confirm")
    link = case["sms"][0]["body"].split("证据查看:")[1]
    path = link.removeprefix(p.settings.public_url)
    r = p.client.get(path)
    assert r.status_code == 200 and r.json()["case_number"] == case["number"]
    files = r.json()["files"]
    assert {f["kind"] for f in files} == {"clean_frame", "annotated_frame"}
    image = p.client.get(files[0]["url"])  # a rendition, people blurred (test_platform_privacy)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    originals = {hashlib.sha256(d).hexdigest() for d in p.alerts.files[alert.alert_id].values()}
    assert {f["sha256"] for f in files} == originals  # the record's hashes, of the originals
    assert p.client.get(path[:-3] + "xyz").status_code == 403
