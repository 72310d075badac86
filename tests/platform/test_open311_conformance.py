"""GeoReport v2 conformance: every endpoint in JSON and XML, the standard's roots, field names,
error lists and filters, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from streetorder.platform.domain.errors import NotFound
from streetorder.platform.open311 import reads
from tests.platform.conftest import Platform
from tests.platform.open311_support import (
    BASE,
    case_of_report,
    photo,
    post,
    reject_case,
    report_fields,
    shop_position,
    xml_errors,
    xml_items,
)

REQUEST_FIELDS = {
    "service_request_id", "status", "status_notes", "service_name", "service_code",
    "description", "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat", "long",
    "media_url",
}  # fmt: skip
SERVICE_FIELDS = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}


def test_service_list_in_both_formats(platform: Platform) -> None:
    r = platform.client.get(f"{BASE}/services.json")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    services = r.json()
    assert {s["service_code"] for s in services} >= {"out_of_shop_trading", "street_stall"}
    assert all(set(s) == SERVICE_FIELDS for s in services)
    kuamen = next(s for s in services if s["service_code"] == "out_of_shop_trading")
    assert kuamen["service_name"] == "跨门营业" and kuamen["metadata"] is True
    assert kuamen["type"] == "realtime" and "跨门营业" in kuamen["keywords"].split(",")

    r = platform.client.get(f"{BASE}/services.xml")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/xml")
    items = xml_items(r.text, "services", "service")
    assert [i["service_code"] for i in items] == [s["service_code"] for s in services]
    assert items[0]["metadata"] == "true" and set(items[0]) == SERVICE_FIELDS


def test_service_definition_in_both_formats(platform: Platform) -> None:
    body = platform.client.get(f"{BASE}/services/out_of_shop_trading.json").json()
    assert body["service_code"] == "out_of_shop_trading"
    (consent,) = body["attributes"]
    assert consent["code"] == "sms_consent" and consent["required"] is False
    assert consent["datatype"] == "singlevaluelist" and consent["variable"] is True
    assert [v["key"] for v in consent["values"]] == ["yes", "no"]

    from xml.etree import ElementTree as ET

    r = platform.client.get(f"{BASE}/services/out_of_shop_trading.xml")
    root = ET.fromstring(r.text)
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "out_of_shop_trading"
    attribute = root.find("attributes/attribute")
    assert attribute is not None and attribute.findtext("code") == "sms_consent"
    assert [v.findtext("key") for v in attribute.findall("values/value")] == ["yes", "no"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_errors_are_the_standard_list(platform: Platform, fmt: str) -> None:
    r = platform.client.get(f"{BASE}/services/no_such_service.{fmt}")
    assert r.status_code == 404
    errors = r.json() if fmt == "json" else xml_errors(r.text)
    assert len(errors) == 1 and str(errors[0]["code"]) == "404"
    assert "no_such_service" in errors[0]["description"]
    r = platform.client.get(f"{BASE}/requests/SR99999999.{fmt}")
    assert r.status_code == 404
    r = platform.client.get(f"{BASE}/services.{fmt}", params={"jurisdiction_id": "beijing"})
    assert r.status_code == 404
    for path, params in (
        (f"services/%07.{fmt}", {}),
        (f"requests.{fmt}", {"service_code": "\x07"}),
    ):
        r = platform.client.get(f"{BASE}/{path}", params=params)
        assert r.status_code in (400, 404)  # and the error list still parses (no raw control byte)
        assert (r.json() if fmt == "json" else xml_errors(r.text))[0]["description"]
    for token in ("nope", "x" * 100):
        r = platform.client.get(f"{BASE}/tokens/{token}.{fmt}")
        assert r.status_code == 404
    r = platform.client.get(f"{BASE}/requests/SR999999999999.{fmt}")  # beyond the id column
    assert r.status_code == 404
    with platform.db.session() as session, pytest.raises(NotFound):
        reads.by_token(session, token="a\x00b")  # a NUL never reaches PostgreSQL


def test_unknown_format_answers_a_json_error(platform: Platform) -> None:
    r = platform.client.get(f"{BASE}/services.yaml")
    assert r.status_code == 404 and r.json()[0]["code"] == 404


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_then_get_by_id_and_token(platform: Platform, fmt: str) -> None:
    lat, long = shop_position(platform, "shop-001")
    private = {"email": "li.lei@example.cn", "first_name": "雷", "last_name": "李",
               "phone": "13912345678", "device_id": "dev-42", "account_id": "acct-7"}  # fmt: skip
    r = post(platform, report_fields(lat, long, **private), fmt=fmt,
             files=[("media", ("goods.jpg", photo(), "image/jpeg"))])  # fmt: skip
    assert r.status_code == 201, r.text
    if fmt == "json":
        (created,) = r.json()
    else:
        (created,) = xml_items(r.text, "service_requests", "request")
    request_id, token = created["service_request_id"], created["token"]
    assert request_id.startswith("SR") and token

    for path in (f"requests/{request_id}", "requests"):
        r = platform.client.get(f"{BASE}/{path}.{fmt}")
        assert r.status_code == 200, r.text
        for secret in (*private.values(), "13912345678"):
            assert secret not in r.text  # the reporter's personal data never leaves
        entries = r.json() if fmt == "json" else xml_items(r.text, "service_requests", "request")
        (entry,) = [e for e in entries if e["service_request_id"] == request_id]
        assert set(entry) == REQUEST_FIELDS
        assert entry["status"] == "open" and entry["service_code"] == "out_of_shop_trading"
        assert entry["service_name"] == "跨门营业" and "审核" in entry["status_notes"]
        assert str(entry["lat"]).startswith(f"{lat:.4f}")
        assert entry["requested_datetime"].endswith("+08:00")

    r = platform.client.get(f"{BASE}/tokens/{token}.{fmt}")
    assert r.status_code == 200
    entries = r.json() if fmt == "json" else xml_items(r.text, "service_requests", "request")
    assert entries == [{"service_request_id": request_id, "token": token}]


def test_get_requests_filters(platform: Platform) -> None:
    lat, long = shop_position(platform, "shop-001")
    first = post(platform, report_fields(lat, long)).json()[0]["service_request_id"]
    platform.clock.advance(days=2)
    stall = {"service_code": "street_stall", "lat": "31.2300", "long": "121.5600",
             "description": "路口流动摊"}  # fmt: skip
    second = post(platform, stall).json()[0]["service_request_id"]

    def ids(**params: str) -> list[str]:
        r = platform.client.get(f"{BASE}/requests.json", params=params)
        assert r.status_code == 200, r.text
        return [e["service_request_id"] for e in r.json()]

    assert ids() == [second, first]  # newest first
    assert ids(service_code="street_stall") == [second]
    assert ids(service_code="street_stall,out_of_shop_trading") == [second, first]
    assert ids(service_request_id=f"{first},SR00000000") == [first]
    assert ids(service_request_id="SR99999999999,nonsense") == []  # asked for, none exist
    assert ids(service_request_id=first, service_code="street_stall") == [first]  # ids win
    day = (platform.clock.now - timedelta(days=1)).isoformat()
    assert ids(start_date=day) == [second]
    assert ids(end_date=day) == [first]
    assert ids(status="open") == [second, first] and ids(status="closed") == []
    case_id = case_of_report(platform, first)
    reject_case(platform, case_id)
    assert ids(status="closed") == [first] and ids(status="open") == [second]
    assert ids(status="open,closed") == [second, first]

    jan, jun = "2026-01-01T00:00:00Z", "2026-06-01T00:00:00Z"
    for bad in (
        {"status": "pending"}, {"service_code": "nope"}, {"start_date": "yesterday"},
        {"start_date": jan, "end_date": jun}, {"start_date": jun, "end_date": jan},
    ):  # fmt: skip
        for fmt in ("json", "xml"):
            r = platform.client.get(f"{BASE}/requests.{fmt}", params=bad)
            assert r.status_code == 400, (bad, r.text)
            errors = r.json() if fmt == "json" else xml_errors(r.text)
            assert str(errors[0]["code"]) == "400" and errors[0]["description"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_every_error_under_open311_is_the_standard_list(platform: Platform, fmt: str) -> None:
    """Refusals made before or around the Open311 routes too: a NUL or another invalid byte in
    the URL, an unknown path, a wrong method, a failure."""
    cases = [  # (method, path and query as sent, status)
        ("GET", f"services.{fmt}?jurisdiction_id=%00", 422),
        ("GET", f"requests/SR%00.{fmt}", 422),
        ("GET", f"services/out%00of.{fmt}", 422),
        ("GET", f"requests.{fmt}?service_code=%00&status=open", 422),
        ("POST", f"requests.{fmt}?api_key=%00", 422),
        ("GET", f"tokens/%01%02.{fmt}", 404),
        ("GET", f"services/%FF%FE.{fmt}", 404),  # not UTF-8
        ("GET", f"requests/SR%ED%A0%80.{fmt}", 404),  # a lone surrogate
        ("GET", f"requests.{fmt}?start_date=%FF", 400),
        ("GET", f"no_such_thing.{fmt}", 404),
        ("DELETE", f"services.{fmt}", 405),
        ("PUT", f"requests/SR00000001.{fmt}", 405),
    ]
    for method, target, status in cases:
        r = platform.client.request(method, f"{BASE}/{target}")
        assert r.status_code == status, (target, r.text)
        expected_type = "application/json" if fmt == "json" else "text/xml"
        assert r.headers["content-type"].startswith(expected_type), (target, r.headers)
        errors = r.json() if fmt == "json" else xml_errors(r.text)
        assert len(errors) == 1 and str(errors[0]["code"]) == str(status), (target, errors)
        assert errors[0]["description"] and "detail" not in r.text, (target, r.text)
        if fmt == "json":
            assert set(errors[0]) == {"code", "description"}
        if status == 422:
            assert "NUL" in errors[0]["description"]
        if status == 405:
            assert r.headers["allow"]  # the headers of the refusal are kept
    # the same refusals elsewhere keep the JSON API's body
    r = platform.client.get("/api/v1/cases?state=%00")
    assert r.status_code == 422 and "detail" in r.json()


def test_a_failure_under_open311_is_the_standard_list(platform: Platform) -> None:
    from fastapi.testclient import TestClient
    from sqlalchemy import text

    with platform.db.session() as session:  # a fault: the reports' table is gone
        session.execute(text("ALTER TABLE citizen_reports RENAME TO citizen_reports_gone"))
    client = TestClient(platform.client.app, raise_server_exceptions=False)
    for fmt in ("json", "xml"):
        r = client.get(f"{BASE}/requests.{fmt}")
        assert r.status_code == 500
        errors = r.json() if fmt == "json" else xml_errors(r.text)
        assert errors == [{"code": 500 if fmt == "json" else "500",
                           "description": "internal error"}]  # fmt: skip
