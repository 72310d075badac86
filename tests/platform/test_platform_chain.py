"""The whole chain through the JSON API: alert → case → review → SMS + work order → officer
rectification → verification → closure; and the penalty path with its audit trail."""

from __future__ import annotations

from datetime import timedelta

from streetorder.platform.services import sms


def test_first_offence_full_chain_to_closure(platform) -> None:
    p = platform
    alert = p.alerts()
    p.deliver(alert)
    p.upload_evidence(alert)

    queue = p.client.get("/api/v1/cases/review-queue", headers=p.login("reviewer")).json()
    assert queue["count"] == 1
    case = p.case_of(alert.alert_id)
    assert case["state"] == "pending_review"
    assert case["merchant"]["shop_id"] == "shop-001"
    assert {e["kind"] for e in case["evidence"]} == {"clean_frame", "annotated_frame"}
    assert set(case["allowed_events"]) == {"confirm", "reject", "urge"}

    p.clock.advance(minutes=10)
    case = p.post("reviewer", f"/cases/{case['id']}/confirm", {"note": "goods on pavement"})
    assert case["state"] == "notified_dispatched" and case["track"] == "exempt"
    # T0 + 10 min = 14:15 Shanghai; 24 h to correct
    assert case["exemption_note"] == (
        "365天内首次违法:在2026-11-22 14:15前改正的不予处罚(首违免罚)"
    )
    [message] = case["sms"]
    assert message["stage"] == "notice" and message["state"] == "queued"
    assert case["number"] in message["body"] and "2026-11-22 14:15" in message["body"]
    assert "跨门营业" in message["body"] and message["mobile"].startswith("1380013")
    [order] = case["work_orders"]
    assert order["deadline_at"] == case["deadline_at"] == case["rectify_deadline_at"]
    assert "24小时内责令商户改正" in order["instructions"]

    assert p.post("admin", "/sms/deliver", status=202) == {"scheduled": True}
    outbox = p.client.get("/api/v1/sms", headers=p.login("reviewer")).json()
    assert [m["state"] for m in outbox["data"]] == ["sent"]

    # the officer sees the work order of their squad and handles it
    orders = p.client.get("/api/v1/work-orders", headers=p.login("officer")).json()
    assert [o["case_id"] for o in orders["data"]] == [case["id"]]
    p.post("officer", f"/work-orders/{order['id']}/acknowledge")
    p.clock.advance(hours=3)
    case = p.rectify_with_photo(case["id"])
    assert case["state"] == "rectified"
    assert case["work_orders"][0]["state"] == "done"

    case = p.post("reviewer", f"/cases/{case['id']}/verify")
    case = p.post("reviewer", f"/cases/{case['id']}/close")
    assert case["state"] == "closed"
    assert case["handling_time"] == "3 hours 11 minutes"  # discovered 61 s before T0
    events = [(e["event"], e["from_state"], e["to_state"], e["actor_name"]) for e in case["events"]]
    assert events == [
        ("discover", None, "discovered", "system"),
        ("register", "discovered", "pending_review", "system"),
        ("confirm", "pending_review", "confirmed", "reviewer"),
        ("dispatch", "confirmed", "notified_dispatched", "reviewer"),
        ("rectify", "notified_dispatched", "rectified", "officer"),
        ("verify", "rectified", "verified", "reviewer"),
        ("close", "verified", "closed", "reviewer"),
    ]
    assert case["penalty"] is None


def test_repeat_offence_takes_the_penalty_path_with_full_audit(platform) -> None:
    p = platform
    first = p.alerts()
    p.deliver(first)
    c1 = p.case_of(first.alert_id)
    p.post("reviewer", f"/cases/{c1['id']}/confirm")

    p.clock.advance(days=30)
    second = p.alerts()
    p.deliver(second)
    c2 = p.case_of(second.alert_id)
    c2 = p.post("reviewer", f"/cases/{c2['id']}/confirm")
    assert c2["track"] == "penalty"
    assert c2["exemption_note"].startswith("再次违法:近365天内已确认违法1次")
    assert "再次违法" in c2["sms"][0]["body"]

    c2 = p.rectify_with_photo(c2["id"])
    c2 = p.post("reviewer", f"/cases/{c2['id']}/verify")
    assert "decide_fine" not in c2["allowed_events"]  # reviewer may not; squad leader may
    r = p.client.post(f"/api/v1/cases/{c2['id']}/close", json={}, headers=p.login("reviewer"))
    assert r.status_code == 409 and "only after the fine is paid" in r.json()["detail"]
    c2 = p.post("leader", f"/cases/{c2['id']}/fine", {"fine_cents": 50000, "basis": "repeat"})
    assert c2["state"] == "payment_due"
    assert [m["stage"] for m in c2["sms"]] == ["notice", "penalty"]
    assert "500.00元" in c2["sms"][1]["body"]

    p.clock.advance(days=20)  # 5 days late → 15% surcharge
    due = c2["penalty"]["fine_cents"]
    r = p.client.post(f"/api/v1/cases/{c2['id']}/payment", json={"paid_cents": due},
                      headers=p.login("admin"))  # fmt: skip
    assert r.status_code == 422 and "surcharge 75.00 for 5 days late" in r.json()["detail"]
    r = p.client.post(f"/api/v1/cases/{c2['id']}/payment", json={"paid_cents": 1},
                      headers=p.login("reviewer"))  # fmt: skip
    assert r.status_code == 403  # the role is checked before the amount
    c2 = p.post("admin", f"/cases/{c2['id']}/payment", {"paid_cents": 57500, "reference": "wx-1"})
    assert c2["penalty"]["surcharge_cents"] == 7500
    c2 = p.post("reviewer", f"/cases/{c2['id']}/close")
    trail = [(e["event"], e["to_state"], e["actor_role"]) for e in c2["events"]]
    assert trail == [
        ("discover", "discovered", "system"),
        ("register", "pending_review", "system"),
        ("confirm", "confirmed", "reviewer"),
        ("dispatch", "notified_dispatched", "reviewer"),
        ("rectify", "rectified", "officer"),
        ("verify", "verified", "reviewer"),
        ("decide_fine", "fine_decided", "squad_leader"),
        ("notify_payment", "payment_due", "system"),
        ("record_payment", "paid", "admin"),
        ("close", "closed", "reviewer"),
    ]


def test_first_offence_not_corrected_in_time_moves_to_penalty(platform) -> None:
    p = platform
    alert = p.alerts()
    p.deliver(alert)
    case = p.post("reviewer", f"/cases/{p.case_of(alert.alert_id)['id']}/confirm")
    assert case["track"] == "exempt"

    def listed(overdue: str) -> list[int]:
        r = p.client.get("/api/v1/cases", headers=p.login("reviewer"), params={"overdue": overdue})
        return [c["id"] for c in r.json()["data"]]

    assert case["id"] in listed("false") and case["id"] not in listed("true")
    p.clock.advance(hours=25)
    case = p.client.get(f"/api/v1/cases/{case['id']}", headers=p.login("reviewer")).json()
    assert case["overdue"] is True  # yellow light
    assert case["id"] in listed("true") and case["id"] not in listed("false")
    assert p.post("admin", "/cases/escalate-overdue") == [case["id"]]
    case = p.rectify_with_photo(case["id"])
    assert case["track"] == "penalty"
    assert "首次违法未在2026-11-22 14:05前改正:转入处罚程序" in case["exemption_note"]
    escalations = [e for e in case["events"] if e["event"] == "escalate"]
    assert len(escalations) == 1 and escalations[0]["actor_role"] == "system"


def test_rework_extension_and_urge(platform) -> None:
    p = platform
    alert = p.alerts()
    p.deliver(alert)
    case_id = p.case_of(alert.alert_id)["id"]
    p.post("reviewer", f"/cases/{case_id}/urge", {"note": "please review"})
    case = p.post("reviewer", f"/cases/{case_id}/confirm")
    deadline = case["deadline_at"]
    case = p.post("officer", f"/cases/{case_id}/extend", {"reason": "owner in hospital"})
    assert case["extension_count"] == 1 and case["deadline_at"] > deadline
    assert case["work_orders"][0]["deadline_at"] == case["deadline_at"]
    p.rectify_with_photo(case_id)
    case = p.post("reviewer", f"/cases/{case_id}/rework", {"reason": "goods still there"})
    assert case["state"] == "notified_dispatched" and case["rework_count"] == 1
    assert [o["state"] for o in case["work_orders"]] == ["done", "open"]
    assert [m["stage"] for m in case["sms"]] == ["notice", "rework-1"]
    assert case["urge_count"] == 1
    p.clock.advance(hours=1)
    stats = p.client.get("/api/v1/cases/stats", headers=p.login("reviewer")).json()
    assert stats["by_state"] == {"notified_dispatched": 1} and stats["urged"] == 1


def test_sms_is_stored_once_per_case_and_stage_and_retries_with_backoff(platform) -> None:
    p = platform

    class Flaky:
        name = "http"
        calls = 0

        def send(self, *, mobile: str, text: str, reference: str) -> str:
            from streetorder.platform.sms.providers import SmsSendError

            self.calls += 1
            if self.calls < 3:
                raise SmsSendError("gateway answered 503")
            return "gw-1"

    alert = p.alerts()
    p.deliver(alert)
    case_id = p.case_of(alert.alert_id)["id"]
    confirmed = p.post("reviewer", f"/cases/{case_id}/confirm")
    assert confirmed["sms"][0]["state"] == "queued"
    # sent right after the confirmation was committed (outbox provider)
    [notice] = p.client.get("/api/v1/sms", headers=p.login("reviewer")).json()["data"]
    assert (notice["stage"], notice["state"], notice["attempts"]) == ("notice", "sent", 1)
    with p.db.session() as session:
        from streetorder.platform.db import Case

        case = session.get(Case, case_id)
        again = sms.enqueue(session, case=case, stage="notice", template="notice_exempt",
                            rules=p.rules, now=p.clock.now)  # fmt: skip
        extra = sms.enqueue(session, case=case, stage="test-retry", template="rework",
                            rules=p.rules, now=p.clock.now, deadline=p.clock.now)  # fmt: skip
    assert again.id == notice["id"]  # one message per case and stage
    provider = Flaky()
    now = p.clock.now
    deliver = lambda at: sms.deliver_due(p.db, provider=provider, rules=p.rules, now=at)  # noqa: E731
    assert deliver(now) == 0  # 503: retry in 30 s
    assert deliver(now) == 0  # not due yet
    assert deliver(now + timedelta(seconds=31)) == 0  # 503 again: retry in 60 s
    assert deliver(now + timedelta(seconds=60)) == 0  # not due yet
    assert deliver(now + timedelta(seconds=92)) == 1
    messages = p.client.get("/api/v1/sms", params={"case_id": case_id}, headers=p.login("reviewer"))
    by_stage = {m["stage"]: m for m in messages.json()["data"]}
    assert set(by_stage) == {"notice", "test-retry"} and by_stage["test-retry"]["id"] == extra.id
    assert (by_stage["test-retry"]["state"], by_stage["test-retry"]["attempts"]) == ("sent", 3)
    assert provider.calls == 3
