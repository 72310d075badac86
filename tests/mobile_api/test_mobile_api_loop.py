"""The full officer loop through the API, against the platform's ingest, review and workflow."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from streetorder.mobile_api.domain.risk import ColourRules
from streetorder.mobile_api.domain.schedule import ScheduleRules
from streetorder.mobile_api.services.scheduler import schedule_inspections
from streetorder.platform.db import Case, CaseEvent, EvidenceFile
from tests.mobile_api import photo_factory as pf
from tests.mobile_api.world import World


def test_dispatched_order_to_verified_case(world: World) -> None:
    case_id, order_id, evidence_ids = world.dispatch_alert("shop-1")

    # the dispatched work order is in the officer's list, with deadline, shop and evidence
    page = world.get("officer-a", "/tasks").json()
    task = next(t for t in page["data"] if t["id"] == f"work_order:{order_id}")
    assert task["kind"] == "work_order" and task["status"] == "open"
    assert task["merchant"]["shop_id"] == "shop-1" and task["place"] == "长宁路 101号"
    assert 23 * 3600 < task["time_left_seconds"] <= 24 * 3600 and not task["overdue"]
    assert task["work_order"]["case_state"] == "notified_dispatched"
    assert sorted(e["id"] for e in task["work_order"]["evidence"]) == sorted(evidence_ids)
    assert "acknowledge" in task["actions"]

    # 责令改正 on site (acknowledges the order), then the after-correction photo
    world.clock.advance(timedelta(hours=2))
    response = world.post(
        "officer-a", f"/work-orders/{order_id}/order-to-correct",
        json={"note": "已责令商户收回货架", "latitude": 31.2205, "longitude": 121.4245},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    detail = response.json()
    assert [a["action"] for a in detail["timeline"]] == ["acknowledged", "ordered_to_correct"]
    assert detail["task"]["status"] == "in_progress"

    world.clock.advance(timedelta(hours=1))
    raw = pf.jpeg(seed=7, exif=pf.exif_for(when="2026:11:23 12:01:00", gps=(31.2206, 121.4244)))
    response = world.post(
        "officer-a", f"/work-orders/{order_id}/photos",
        files={"file": ("after.jpg", raw, "image/jpeg")},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    photo = response.json()
    assert photo["captured_at"] == "2026-11-23T04:01:00Z"
    assert abs(photo["latitude"] - 31.2206) < 1e-4 and photo["case_id"] == case_id

    response = world.post("officer-a", f"/work-orders/{order_id}/complete", json={"note": "已改正"})
    assert response.status_code == 200, response.text
    assert response.json()["task"]["work_order"]["case_state"] == "rectified"
    assert response.json()["task"]["status"] == "done"
    active = world.get("officer-a", "/tasks").json()["data"]
    assert f"work_order:{order_id}" not in [t["id"] for t in active]

    # the platform's case moved on, with the officer's photo as its rectification evidence
    with world.db.session() as session:
        case = session.get(Case, case_id)
        assert case.state == "rectified"
        events = session.scalars(select(CaseEvent.event).filter_by(case_id=case_id)).all()
        assert events[-1] == "rectify"
        kinds = session.scalars(select(EvidenceFile.kind).filter_by(case_id=case_id)).all()
        assert "rectification" in kinds

    # the verifier sees the alert's evidence beside the after-correction photo
    view = world.get("leader-a", f"/work-orders/{order_id}/before-after").json()
    assert view["case_state"] == "rectified" and view["case_number"] == f"CG{case_id:08d}"
    assert sorted(f["id"] for f in view["before"]) == sorted(evidence_ids)
    assert [f["id"] for f in view["after"]] == [photo["id"]]
    assert view["after"][0]["time"] == "2026-11-23T04:01:00Z"
    for item in view["before"] + view["after"]:
        body = world.client.get(item["url"], headers=world.headers("leader-a"))
        assert body.status_code == 200
        assert hashlib.sha256(body.content).hexdigest() == item["sha256"]
    stored = world.client.get(view["after"][0]["url"], headers=world.headers("leader-a")).content
    assert b"Exif" not in stored[:200]

    response = world.post(
        "leader-a", f"/work-orders/{order_id}/verify", json={"passed": True, "note": "现场已清"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["case_state"] == "verified"


def test_rework_extension_and_refusal(world: World) -> None:
    case_id, order_id, _ = world.dispatch_alert("shop-2")
    deadline = world.get("officer-a", f"/work-orders/{order_id}").json()["task"]["due_at"]
    response = world.post(
        "officer-a", f"/work-orders/{order_id}/extension", json={"reason": "商户店主住院"}
    )
    assert response.status_code == 200, response.text
    new_deadline = response.json()["task"]["due_at"]
    assert datetime.fromisoformat(new_deadline) - datetime.fromisoformat(deadline) == timedelta(
        hours=24
    )
    response = world.post("officer-a", f"/work-orders/{order_id}/extension", json={"reason": ""})
    assert response.status_code == 422
    response = world.post(
        "officer-a", f"/work-orders/{order_id}/refusal", json={"note": "商户拒绝改正"}
    )
    assert response.status_code == 200
    assert response.json()["timeline"][-1]["action"] == "refused"

    # completing without a photo is refused by the platform's workflow (409, with the reason,
    # in the app's language)
    response = world.post("officer-a", f"/work-orders/{order_id}/complete", json={})
    assert response.status_code == 409 and "照片" in response.json()["detail"], response.json()

    world.post(
        "officer-a", f"/work-orders/{order_id}/photos",
        files={"file": ("a.png", pf.png(seed=3), "image/png")},
    )  # fmt: skip
    assert world.post("officer-a", f"/work-orders/{order_id}/complete", json={}).status_code == 200
    # the verifier sends it back: a new round of work order appears in the officer's list
    response = world.post(
        "leader-a", f"/work-orders/{order_id}/verify", json={"passed": False, "note": "货架仍在"}
    )
    assert response.status_code == 200 and response.json()["case_state"] == "notified_dispatched"
    ids = [t["id"] for t in world.get("officer-a", "/tasks?kind=work_order").json()["data"]]
    assert len(ids) == 1 and ids[0] != f"work_order:{order_id}"
    # the old round is closed
    assert world.post("officer-a", f"/work-orders/{order_id}/acknowledge").status_code == 409


def test_confirmed_case_turns_the_shop_red(world: World) -> None:
    world.dispatch_alert("shop-1")
    with world.db.session() as session:
        report = schedule_inspections(
            session, schedule=ScheduleRules(), colours=ColourRules(), now=world.clock()
        )
        assert report.colour_changes == 1
        again = schedule_inspections(
            session, schedule=ScheduleRules(), colours=ColourRules(), now=world.clock()
        )
        assert again.colour_changes == 0 and again.created == 0  # idempotent
    risk = world.get("officer-a", f"/merchants/{world.shops['shop-1']}/risk").json()
    assert risk["merchant"]["risk_colour"] == "red"
    assert [(c["colour_before"], c["colour_after"], c["cause"]) for c in risk["changes"]] == [
        ("green", "red", "confirmed_violation")
    ]
    assert risk["changes"][0]["case_id"] is not None
    assert datetime.fromisoformat(risk["next_due_at"]) <= world.clock() + timedelta(seconds=1)
    assert world.clock().tzinfo is UTC
