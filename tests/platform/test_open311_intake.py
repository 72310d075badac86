"""Reports into the case flow: matching, joining an open case, photos as evidence, bad input
that stores nothing, trusted and anonymous clients, status and SMS that follow the case."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image
from sqlalchemy import select

from streetorder.platform.db import Case, CaseEvent, CitizenReport, EvidenceFile, SmsMessage
from streetorder.platform.open311 import feedback
from streetorder.platform.services import cases
from tests.platform.conftest import Platform
from tests.platform.open311_support import (
    BASE,
    REVIEWER,
    case_of_report,
    hotline_key,
    photo,
    post,
    reject_case,
    report_fields,
    shop_position,
    stored,
    xml_errors,
)


def _case(platform: Platform, case_id: int) -> Case:
    with platform.db.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case


def test_a_report_opens_a_case_on_the_nearest_shop_with_its_photos(platform: Platform) -> None:
    lat, long = shop_position(platform, "shop-001")
    upload = photo()
    r = post(platform, report_fields(lat + 0.0001, long),  # ~11 m away
             files=[("media", ("kuamen.jpg", upload, "image/jpeg"))])  # fmt: skip
    assert r.status_code == 201, r.text
    case = _case(platform, case_of_report(platform, r.json()[0]["service_request_id"]))
    assert case.source == "citizen" and case.state == "pending_review"
    assert case.shop_id == "shop-001" and case.squad_id is not None and case.alert_id is None
    with platform.db.session() as session:
        (evidence,) = session.scalars(select(EvidenceFile).filter_by(case_id=case.id)).all()
        events = session.scalars(select(CaseEvent).filter_by(case_id=case.id)).all()
        stored_bytes = platform.client.app.state.platform.store.get(evidence.storage_key)
    assert evidence.kind == "citizen_photo"
    assert evidence.sha256 == hashlib.sha256(stored_bytes).hexdigest()
    assert Image.open(io.BytesIO(stored_bytes)).size == (320, 240)
    assert [e.event for e in events] == ["discover", "register", "report"]
    report_event = events[-1].data
    assert report_event["photos"] == [{"id": evidence.id, "sha256": evidence.sha256}]
    assert report_event["original_sha256"] == [hashlib.sha256(upload).hexdigest()]
    assert 8 < report_event["distance_m"] < 14
    # the reviewer's queue holds it beside the camera cases, and can filter by source
    for source, expected in (("citizen", [case.id]), ("camera", []), (None, [case.id])):
        with platform.db.session() as session:
            rows, _ = cases.list_cases(
                session, actor=REVIEWER, now=platform.clock.now,
                filters=cases.CaseFilter(state="pending_review", source=source),
            )  # fmt: skip
        assert [c.id for c in rows] == expected


def test_a_report_joins_the_open_case_of_its_shop(platform: Platform) -> None:
    alert = platform.alerts(zone="z1", shop="shop-001")
    platform.deliver(alert)
    with platform.db.session() as session:
        camera_case = session.scalars(select(Case).filter_by(alert_id=alert.alert_id)).one().id
    lat, long = shop_position(platform, "shop-001")
    first = post(platform, report_fields(lat, long)).json()[0]
    second = post(platform, report_fields(lat, long)).json()[0]
    assert first["service_notice"]  # says it joined a case under way
    assert case_of_report(platform, first["service_request_id"]) == camera_case
    assert case_of_report(platform, second["service_request_id"]) == camera_case
    with platform.db.session() as session:
        events = [
            e.event for e in session.scalars(select(CaseEvent).filter_by(case_id=camera_case))
        ]
        assert session.query(Case).count() == 1
    assert events.count("report") == 2
    entry = platform.client.get(f"{BASE}/requests/{first['service_request_id']}.json").json()[0]
    assert f"CG{camera_case:08d}" in entry["status_notes"]
    # once that case has ended, a new report opens a new case
    reject_case(platform, camera_case)
    third = post(platform, report_fields(lat, long)).json()[0]
    assert case_of_report(platform, third["service_request_id"]) != camera_case


def test_a_report_far_from_any_shop_waits_for_the_reviewer_to_name_it(platform: Platform) -> None:
    r = post(platform, {"service_code": "street_stall", "address_string": "东方路100号对面",
                        "description": "无证摊贩"})  # fmt: skip
    assert r.status_code == 201, r.text
    case_id = case_of_report(platform, r.json()[0]["service_request_id"])
    case = _case(platform, case_id)
    assert case.merchant_id is None and case.squad_id is None and case.place == "东方路100号对面"
    from streetorder.platform.domain.errors import InvalidTransition
    from streetorder.platform.open311 import intake

    with pytest.raises(InvalidTransition), platform.db.session() as session:
        cases.confirm(session, case_id=case_id, actor=REVIEWER, rules=platform.rules,
                      now=platform.clock.now)  # fmt: skip
    with platform.db.session() as session:
        intake.assign_shop(session, case_id=case_id, shop_id="shop-002", actor=REVIEWER,
                           rules=platform.rules, now=platform.clock.now)  # fmt: skip
    with platform.db.session() as session:
        confirmed = cases.confirm(session, case_id=case_id, actor=REVIEWER, rules=platform.rules,
                                  now=platform.clock.now)  # fmt: skip
        assert confirmed.state == "notified_dispatched" and confirmed.shop_id == "shop-002"


def _bad_inputs(platform: Platform) -> list[tuple[dict, list | None, int]]:
    lat, long = shop_position(platform, "shop-001")
    ok = report_fields(lat, long)
    big = io.BytesIO()
    Image.new("RGB", (2000, 2000)).save(big, "PNG")  # ~ too many pixels for 1 MP below
    polyglot = photo() + b"PK\x03\x04" + b"\x00" * 64 + b"PK\x05\x06" + b"\x00" * 18
    return [
        ({**ok, "service_code": "graffiti"}, None, 400),
        ({**ok, "lat": "39.9042", "long": "116.4074"}, None, 400),  # Beijing
        ({**ok, "lat": "nan"}, None, 400),
        ({k: v for k, v in ok.items() if k not in ("lat", "long")}, None, 400),
        ({**ok, "phone": "12345"}, None, 400),
        ({**ok, "email": "not-an-address"}, None, 400),
        ({**ok, "attribute[sms_consent]": "yes"}, None, 400),  # consent without a phone
        ({**ok, "attribute[colour]": "red"}, None, 400),
        ({**ok, "media_url": "file:///etc/passwd"}, None, 400),
        ({**ok, "description": "a\x00b"}, None, 400),
        ({**ok, "description": "bell\x07"}, None, 400),  # XML 1.0 cannot carry it
        ({**ok, "address_string": "\ufffe"}, None, 400),
        (ok, [("media", ("fake.jpg", b"this is not a picture", "image/jpeg"))], 415),
        (ok, [("media", ("cut.jpg", photo()[:200], "image/jpeg"))], 422),
        (ok, [("media", ("zip.jpg", polyglot, "image/jpeg"))], 422),
        (ok, [("media", ("huge.png", big.getvalue(), "image/png"))], 422),
        (ok, [("media", (f"{i}.jpg", photo(), "image/jpeg")) for i in range(4)], 400),
        (ok, [("media", ("big.jpg", b"\xff\xd8\xff" + b"\x00" * (2 << 20), "image/jpeg"))], 413),
    ]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_input_gets_the_standard_error_and_stores_nothing(platform_factory, fmt: str) -> None:
    platform = platform_factory(
        open311={"photo_max_mb": 1, "photo_max_pixels": 1_000_000, "max_photos": 3,
                 "anonymous": {"posts": 1000}}
    )  # fmt: skip
    before = stored(platform)
    for data, files, status in _bad_inputs(platform):
        r = post(platform, data, fmt=fmt, files=files)
        assert r.status_code == status, (data.get("service_code"), files and files[0][1][0], r.text)
        errors = r.json() if fmt == "json" else xml_errors(r.text)
        assert len(errors) == 1 and str(errors[0]["code"]) == str(status)
        assert errors[0]["description"]
    assert stored(platform) == before


def test_anonymous_floods_are_refused_trusted_clients_are_not(platform_factory) -> None:
    platform = platform_factory(open311={"anonymous": {"posts": 3, "window_seconds": 600}})
    lat, long = shop_position(platform, "shop-001")
    statuses = [post(platform, report_fields(lat, long)).status_code for _ in range(3)]
    assert statuses == [201, 201, 201]
    before = stored(platform)
    flood = [post(platform, report_fields(lat, long)) for _ in range(20)]
    assert {r.status_code for r in flood} == {429}
    assert flood[0].json()[0]["code"] == 429 and int(flood[0].headers["Retry-After"]) > 0
    assert stored(platform) == before
    key = hotline_key(platform)
    r = post(platform, report_fields(lat, long, api_key=key, phone="13800138000"))
    assert r.status_code == 201, r.text
    report_id = int(r.json()[0]["service_request_id"][2:])
    with platform.db.session() as session:
        report = session.get(CitizenReport, report_id)
        assert report is not None and report.source == "hotline" and report.client_id is not None
    r = post(platform, report_fields(lat, long, api_key="o311_not-a-key"))
    assert r.status_code == 403 and r.json()[0]["code"] == 403
    platform.clock.advance(minutes=11)  # the window has passed
    assert post(platform, report_fields(lat, long)).status_code == 201


def test_a_hotline_report_opens_a_hotline_case(platform: Platform) -> None:
    key = hotline_key(platform)
    r = post(platform, {"service_code": "pavement_obstruction", "lat": "31.2300",
                        "long": "121.5500", "api_key": key})  # fmt: skip
    assert r.status_code == 201, r.text
    assert _case(platform, case_of_report(platform, r.json()[0]["service_request_id"])).source == (
        "hotline"
    )


def test_status_and_sms_follow_the_case(platform: Platform) -> None:
    lat, long = shop_position(platform, "shop-001")
    fields = report_fields(lat, long, phone="139 1234 5678", **{"attribute[sms_consent]": "yes"})
    request_id = post(platform, fields).json()[0]["service_request_id"]
    silent = post(platform, report_fields(lat, long, phone="13700000000")).json()[0]
    case_id = case_of_report(platform, request_id)
    url = f"{BASE}/requests/{request_id}.json"
    before = platform.client.get(url).json()[0]
    with platform.db.session() as session:  # nothing to send while the case is open
        assert (
            feedback.notify_closed_reports(session, rules=platform.rules, now=platform.clock.now)
            == []
        )
    platform.clock.advance(hours=1)
    reject_case(platform, case_id)
    after = platform.client.get(url).json()[0]
    assert (before["status"], after["status"]) == ("open", "closed")
    assert after["updated_datetime"] > before["updated_datetime"]
    assert "未发现" in after["status_notes"] and after["expected_datetime"] is None
    with platform.db.session() as session:
        queued = feedback.notify_closed_reports(
            session, rules=platform.rules, now=platform.clock.now
        )
        again = feedback.notify_closed_reports(
            session, rules=platform.rules, now=platform.clock.now
        )
    assert queued == [int(request_id[2:])] and again == []
    with platform.db.session() as session:
        (sms,) = session.scalars(select(SmsMessage).where(SmsMessage.stage.like("reporter-%")))
    assert sms.mobile == "13912345678" and request_id in sms.body and sms.state == "queued"
    assert silent["service_request_id"] not in sms.body
    # the reporter's number: in the command centre's outbox, never on the case page or to squads
    for who, path, visible in (
        ("reviewer", "/api/v1/sms", True), ("leader", "/api/v1/sms", False),
        ("officer", f"/api/v1/cases/{case_id}", False),
        ("reviewer", f"/api/v1/cases/{case_id}", False),
    ):  # fmt: skip
        r = platform.client.get(path, headers=platform.login(who))
        assert r.status_code == 200, (who, path, r.text)
        assert ("13912345678" in r.text) is visible, (who, path)


def test_the_periodic_job_sends_the_reporters_sms_once(platform: Platform) -> None:
    from streetorder.platform.sms.providers import OutboxProvider
    from streetorder.server.jobs import PeriodicJobs

    lat, long = shop_position(platform, "shop-002")
    fields = report_fields(lat, long, phone="13912345678", **{"attribute[sms_consent]": "yes"})
    request_id = post(platform, fields).json()[0]["service_request_id"]
    jobs = PeriodicJobs(platform.db, platform.rules, OutboxProvider(), clock=platform.clock)
    assert jobs.run_once()["reporter_sms_queued"] == 0
    reject_case(platform, case_of_report(platform, request_id))
    first, second = jobs.run_once(), jobs.run_once()
    assert (first["reporter_sms_queued"], first["sms_sent"]) == (1, 1)
    assert (second["reporter_sms_queued"], second["sms_sent"]) == (0, 0)
    with platform.db.session() as session:
        (sms,) = session.scalars(select(SmsMessage).where(SmsMessage.mobile == "13912345678"))
    assert sms.state == "sent" and request_id in sms.body


def test_the_review_queue_filters_by_source(platform: Platform) -> None:
    alert = platform.alerts(zone="z2", shop="shop-002")
    platform.deliver(alert)
    lat, long = shop_position(platform, "shop-001")
    request_id = post(platform, report_fields(lat, long)).json()[0]["service_request_id"]
    citizen_case = case_of_report(platform, request_id)
    headers = platform.login("reviewer")
    for path in ("/api/v1/cases/review-queue", "/api/v1/cases"):
        for source, expected in (("citizen", {"citizen"}), ("camera", {"camera"}),
                                 (None, {"camera", "citizen"})):  # fmt: skip
            params = {"source": source} if source else {}
            r = platform.client.get(path, params=params, headers=headers)
            assert r.status_code == 200, r.text
            assert {c["source"] for c in r.json()["data"]} == expected
        assert platform.client.get(path, params={"source": "x"}, headers=headers).status_code == 422
    r = platform.client.get("/api/v1/cases", params={"source": "citizen"}, headers=headers)
    assert [c["id"] for c in r.json()["data"]] == [citizen_case]
    # the reviewer sees the report (phone masked) and its photos as the case's evidence
    r = platform.client.get(f"/api/v1/cases/{citizen_case}/reports", headers=headers)
    assert r.status_code == 200 and r.json()[0]["service_request_id"] == request_id
    r = platform.client.get(f"/api/v1/cases/{citizen_case}/reports",
                            headers=platform.login("officer"))  # fmt: skip
    assert r.status_code == 403  # squads never see the reporters


def test_admins_manage_client_keys_and_reviewers_name_shops_over_http(platform: Platform) -> None:
    admin = platform.login("admin")
    r = platform.client.post("/api/v1/open311/clients", json={"name": "12345", "source": "hotline"},
                             headers=admin)  # fmt: skip
    assert r.status_code == 201, r.text
    client, key = r.json(), r.json()["api_key"]
    assert key.startswith("o311_")
    dup = platform.client.post("/api/v1/open311/clients", json={"name": "12345"}, headers=admin)
    assert dup.status_code == 409
    listed = platform.client.get("/api/v1/open311/clients", headers=admin).json()
    assert [c["name"] for c in listed] == ["12345"] and "api_key" not in listed[0]
    reviewer_try = platform.client.get(
        "/api/v1/open311/clients", headers=platform.login("reviewer")
    )
    assert reviewer_try.status_code == 403
    fields = {"service_code": "street_stall", "address_string": "东方路口", "api_key": key}
    request_id = post(platform, fields).json()[0]["service_request_id"]
    case_id = case_of_report(platform, request_id)
    assert _case(platform, case_id).source == "hotline"
    r = platform.client.delete(f"/api/v1/open311/clients/{client['id']}", headers=admin)
    assert r.status_code == 200 and r.json()["active"] is False
    assert post(platform, fields).status_code == 403  # a revoked key is refused

    shop = f"/api/v1/cases/{case_id}/shop"
    officer = platform.client.post(shop, json={"shop_id": "shop-001"},
                                   headers=platform.login("officer"))  # fmt: skip
    assert officer.status_code == 403
    unknown = platform.client.post(
        shop, json={"shop_id": "nope"}, headers=platform.login("reviewer")
    )
    assert unknown.status_code == 404
    r = platform.client.post(shop, json={"shop_id": "shop-001"}, headers=platform.login("reviewer"))
    assert r.status_code == 200 and r.json()["shop_id"] == "shop-001"
    detail = platform.client.get(f"/api/v1/cases/{case_id}", headers=platform.login("reviewer"))
    assert "confirm" in detail.json()["allowed_events"]
    assert [e["event"] for e in detail.json()["events"]][-1] == "assign_shop"
