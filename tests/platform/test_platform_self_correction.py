"""Camera-verified self-correction: on a ``notify_first`` street the SMS goes out alone; the
camera seeing the frontage clear within the grace period rectifies the case with its
after-frame; otherwise the work order goes out when the grace period ends."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import pytest

from streetorder.contracts import Alert, EpisodeEnd, EvidenceRef
from streetorder.errors import ConfigError
from streetorder.i18n import text
from streetorder.platform.db import Case, WorkOrder
from streetorder.platform.domain.roles import Role
from streetorder.platform.domain.workflow import Event, format_local
from streetorder.platform.services import ingest
from streetorder.platform.settings import settings_from_mapping
from streetorder.platform.sms.providers import OutboxProvider
from streetorder.server.jobs import PeriodicJobs
from tests.platform.conftest import PASSWORD, Platform, jpeg_bytes

NOTIFY_FIRST = {"streets": {"huamu": {"dispatch": "notify_first", "grace_minutes": 30}}}
AFTER = jpeg_bytes((220, 220, 220))


def end_of(alert: Alert, platform: Platform, *, with_frame: bool = True) -> EpisodeEnd:
    refs = ()
    if with_frame:
        refs = (
            EvidenceRef(
                kind="after_frame", filename=f"{alert.alert_id}_after.jpg",
                content_type="image/jpeg", size_bytes=len(AFTER),
                sha256=hashlib.sha256(AFTER).hexdigest(),
            ),
        )  # fmt: skip
    now = platform.clock.now
    return EpisodeEnd(
        alert_id=alert.alert_id, node_id=alert.node_id, camera_id=alert.camera_id,
        zone_id=alert.zone_id, shop_id=alert.shop_id, ended_at=now, clear_seconds=60.0,
        created_at=now, evidence=refs,
    )  # fmt: skip


def receive_end(platform: Platform, message: EpisodeEnd) -> None:
    with platform.db.session() as s:
        assert ingest.ingest_episode_end(
            s, message=message, rules=platform.rules, now=message.ended_at
        )


def upload_after(platform: Platform, alert: Alert) -> int:
    r = platform.client.put(
        f"/api/v1/alerts/{alert.alert_id}/evidence/{alert.alert_id}_after.jpg", content=AFTER,
        headers={**platform.as_node(), "Content-Type": "image/jpeg",
                 "X-Content-Sha256": hashlib.sha256(AFTER).hexdigest()},
    )  # fmt: skip
    return r.status_code


def confirmed(platform: Platform) -> tuple[Alert, dict]:
    alert = platform.alerts()
    platform.deliver(alert)
    case = platform.case_of(alert.alert_id)
    return alert, platform.post("reviewer", f"/cases/{case['id']}/confirm")


def test_the_camera_sees_the_correction_within_the_grace_period(platform_factory) -> None:
    p = platform_factory(dispatch=NOTIFY_FIRST)
    alert, case = confirmed(p)
    assert case["state"] == "notified" and case["track"] == "exempt"
    detail = p.client.get(f"/api/v1/cases/{case['id']}", headers=p.login("reviewer")).json()
    assert [m["stage"] for m in detail["sms"]] == ["notice"] and detail["work_orders"] == []
    # the exemption note names the deadline the SMS names (the grace period's end), and what
    # holds after it; it named confirmation + 24 h, a third date beside the SMS's
    grace_end = format_local(datetime.fromisoformat(detail["rectify_deadline_at"]), p.rules.tz)
    assert f"请于{grace_end}前自行改正" in detail["sms"][0]["body"]
    assert detail["exemption_note"] == (
        f"365天内首次违法:在{grace_end}前自行改正的不予处罚(首违免罚);"
        "逾期未改正的派遣中队处置,在工单时限(24小时)内改正的仍不予处罚"
    )
    # the after-frame may arrive before its episode end: the edge is told to retry
    assert upload_after(p, alert) == 409
    p.clock.advance(minutes=20)
    receive_end(p, end_of(alert, p))
    assert upload_after(p, alert) == 201
    detail = p.client.get(f"/api/v1/cases/{case['id']}", headers=p.login("reviewer")).json()
    assert detail["state"] == "rectified"
    last = detail["events"][-1]
    assert last["event"] == "self_correct" and last["actor_role"] == "system"
    assert last["data"]["after_frame"] == {
        "alert_id": alert.alert_id, "filename": f"{alert.alert_id}_after.jpg",
    }  # fmt: skip
    files = p.client.get(f"/api/v1/cases/{case['id']}/evidence", headers=p.login("reviewer"))
    assert "after_frame" in {f["kind"] for f in files.json()}
    p.post("reviewer", f"/cases/{case['id']}/verify")  # on the camera's before/after frames
    p.post("reviewer", f"/cases/{case['id']}/close")
    with p.db.session() as s:
        row = s.get(Case, case["id"])
        assert row.self_corrected_at is not None and row.dispatched_at is None
        assert s.query(WorkOrder).count() == 0
    assert detail["self_corrected_at"] is not None and detail["dispatched_at"] is None
    p.clock.advance(hours=1)  # the grace period is long over: nothing is dispatched
    assert PeriodicJobs(p.db, p.rules, OutboxProvider(), clock=p.clock).run_once()[
        "dispatched_after_grace"
    ] == 0  # fmt: skip


def test_no_correction_in_the_grace_period_dispatches_the_work_order(platform_factory) -> None:
    p = platform_factory(dispatch=NOTIFY_FIRST)
    alert, case = confirmed(p)
    from tests.web.test_console_http import login

    login(p.client, "reviewer", PASSWORD)
    page = p.client.get(f"/console/cases/{case['id']}")
    assert page.status_code == 200 and text("state.notified") in page.text  # 已短信告知(摄像头核查)
    jobs = PeriodicJobs(p.db, p.rules, OutboxProvider(), clock=p.clock)
    p.clock.advance(minutes=29)
    assert jobs.run_once()["dispatched_after_grace"] == 0
    p.clock.advance(minutes=2)
    assert jobs.run_once()["dispatched_after_grace"] == 1
    detail = p.client.get(f"/api/v1/cases/{case['id']}", headers=p.login("reviewer")).json()
    assert detail["state"] == "notified_dispatched" and detail["track"] == "exempt"
    assert [m["stage"] for m in detail["sms"]] == ["notice"]  # the merchant is not told twice
    assert [w["state"] for w in detail["work_orders"]] == ["open"]
    dispatch = [e for e in detail["events"] if e["event"] == "dispatch"]
    assert len(dispatch) == 1 and dispatch[0]["actor_role"] == "system"
    # exemption as before: the correction deadline is the work order's (24 h from dispatch)
    assert detail["rectify_deadline_at"] == detail["work_orders"][0]["deadline_at"]
    receive_end(p, end_of(alert, p))  # cleared after the officer was sent: no self-correction
    detail = p.client.get(f"/api/v1/cases/{case['id']}", headers=p.login("reviewer")).json()
    assert detail["state"] == "notified_dispatched"
    with p.db.session() as s:
        assert s.get(Case, case["id"]).self_corrected_at is None


def test_a_frontage_clear_before_confirmation_is_self_corrected_at_once(platform_factory) -> None:
    p = platform_factory(dispatch=NOTIFY_FIRST)
    alert = p.alerts()
    p.deliver(alert)
    receive_end(p, end_of(alert, p, with_frame=False))  # an older edge: no after-frame
    case = p.case_of(alert.alert_id)
    confirmed_case = p.post("reviewer", f"/cases/{case['id']}/confirm")
    assert confirmed_case["state"] == "rectified"
    events = [e["event"] for e in confirmed_case["events"]]
    assert events[-3:] == ["confirm", "notify", "self_correct"]
    assert confirmed_case["events"][-1]["data"]["after_frame"] is None


def test_immediate_is_the_default_and_unchanged(platform: Platform) -> None:
    alert, case = confirmed(platform)
    assert case["state"] == "notified_dispatched"
    receive_end(platform, end_of(alert, platform))
    detail = platform.client.get(
        f"/api/v1/cases/{case['id']}", headers=platform.login("reviewer")
    ).json()
    assert detail["state"] == "notified_dispatched" and len(detail["work_orders"]) == 1


def test_the_dashboard_counts_self_corrected_and_dispatched(platform_factory) -> None:
    p = platform_factory(dispatch=NOTIFY_FIRST)
    first, _ = confirmed(p)
    receive_end(p, end_of(first, p))
    confirmed(p)
    p.clock.advance(minutes=31)
    PeriodicJobs(p.db, p.rules, OutboxProvider(), clock=p.clock).run_once()
    from tests.web.test_console_http import login  # the console's form login

    login(p.client, "reviewer", PASSWORD)
    figures = p.client.get("/console/dashboard.json?days=7").json()
    assert (figures["self_corrected"], figures["dispatched"]) == (1, 1)
    assert figures["officer_trips_saved"] == 1


@pytest.mark.parametrize(
    ("policy", "error"),
    [
        ({"default": {"dispatch": "later"}}, "dispatch.default.dispatch"),
        ({"streets": {"huamu": {"dispatch": "notify_first", "grace_minutes": 0}}},
         "dispatch.streets.huamu.grace_minutes"),
        ({"streets": {"huamu": {"grace": 5}}}, "dispatch.streets.huamu.grace"),
    ],
)  # fmt: skip
def test_a_bad_policy_names_file_and_key(policy, error) -> None:
    with pytest.raises(ConfigError, match=rf"platform.yaml: {error}"):
        settings_from_mapping({"secret_key": "s" * 20, "dispatch": policy}, "platform.yaml")


def test_the_policy_is_per_street() -> None:
    from streetorder.platform.services.rules import Rules

    settings = settings_from_mapping({"secret_key": "s" * 20, "dispatch": NOTIFY_FIRST}, "x")
    rules = Rules.from_settings(settings)
    assert rules.dispatch_policy("huamu").notify_first
    assert rules.dispatch_policy("huamu").grace == timedelta(minutes=30)
    assert not rules.dispatch_policy("elsewhere").notify_first
    assert not rules.dispatch_policy(None).notify_first


def test_the_verify_step_shows_the_after_frame_beside_the_officer_photo(platform: Platform) -> None:
    alert, case = confirmed(platform)  # immediate: the officer goes
    platform.upload_evidence(alert)
    receive_end(platform, end_of(alert, platform))
    assert upload_after(platform, alert) == 201
    platform.rectify_with_photo(case["id"])
    from tests.web.test_console_http import login

    login(platform.client, "reviewer", PASSWORD)
    page = platform.client.get(f"/console/cases/{case['id']}").text
    section = page.split('id="photos"')[1].split("</section>")[0]
    assert 'class="camera-after"' in section and 'class="officer-photo"' in section
    assert f"/evidence/{alert.alert_id}/{alert.alert_id}_after.jpg" in section
    token = platform.client.post(
        "/api/mobile/v1/auth/login", json={"username": "leader", "password": PASSWORD}
    ).json()["access_token"]
    with platform.db.session() as s:
        order_id = s.query(WorkOrder.id).filter_by(case_id=case["id"]).scalar()
    pair = platform.client.get(
        f"/api/mobile/v1/work-orders/{order_id}/before-after",
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert {f["kind"] for f in pair["before"]} >= {"clean_frame"}
    assert "after_frame" not in {f["kind"] for f in pair["before"]}
    assert [f["kind"] for f in pair["after"]][0] == "after_frame"


def test_the_command_centre_may_dispatch_before_the_grace_period_ends(platform_factory) -> None:
    p = platform_factory(dispatch=NOTIFY_FIRST)
    _, case = confirmed(p)
    assert "dispatch" in case["allowed_events"]
    with p.db.session() as s:  # the platform itself waits for the grace period
        refusal = p.rules.workflow.refusal(
            s.get(Case, case["id"]), Event.DISPATCH, Role.SYSTEM, now=p.clock.now
        )
        assert refusal is not None and "the grace period runs until" in refusal[1]
    sent = p.post("reviewer", f"/cases/{case['id']}/dispatch", {"note": "repeat complaints"})
    assert sent["state"] == "notified_dispatched" and len(sent["work_orders"]) == 1
    again = p.post("reviewer", f"/cases/{case['id']}/dispatch", status=409)
    assert again["detail"] == "cannot dispatch a case that is notified_dispatched"
