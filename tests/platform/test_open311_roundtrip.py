"""A round trip with an independent Open311 client from PyPI: ``georeport`` (GeoReport v2
reader, JSON and XML) against the platform served by uvicorn. georeport cannot post, so the
report goes in as a hotline system would send it: a multipart POST with its api_key (httpx)."""

from __future__ import annotations

import georeport  # the dev extra installs it
import httpx
import pytest

from streetorder.platform.db import Case
from tests.platform.conftest import Platform
from tests.platform.open311_support import (
    case_of_report,
    hotline_key,
    photo,
    reject_case,
    report_fields,
    shop_position,
)
from tests.web.browser_support import serve


def test_round_trip_with_the_georeport_client(platform: Platform) -> None:
    key = hotline_key(platform)
    lat, long = shop_position(platform, "shop-001")
    fields = report_fields(lat, long, api_key=key, phone="13912345678", first_name="张")
    with serve(platform.client.app) as base:
        root = f"{base}/open311/v2"
        r = httpx.post(f"{root}/requests.xml", data={**fields, "jurisdiction_id": "shanghai"},
                       files=[("media", ("photo.jpg", photo(), "image/jpeg"))])  # fmt: skip
        assert r.status_code == 201, r.text
        assert "<service_requests><request><service_request_id>SR" in r.text
        json_client = georeport.GeoReport(root, jurisdiction="shanghai", output_format="json")
        xml_client = georeport.GeoReport(root, jurisdiction="shanghai", output_format="xml")

        codes = [s["service_code"] for s in json_client.get_service_list()]
        assert codes == [s["service_code"] for s in xml_client.get_service_list()]
        assert "out_of_shop_trading" in codes
        definition = xml_client.get_service_definition("out_of_shop_trading")
        assert definition["attributes"]["attribute"]["code"] == "sms_consent"

        (created,) = httpx.get(f"{root}/requests.json").json()
        request_id = created["service_request_id"]
        by_json = json_client.get_service_request(request_id)
        by_xml = xml_client.get_service_request(request_id)
        assert by_json["status"] == by_xml["status"] == "open"
        assert by_json["service_code"] == by_xml["service_code"] == "out_of_shop_trading"
        assert by_xml["requested_datetime"] == by_json["requested_datetime"]
        assert "13912345678" not in str(by_json) + str(by_xml)
        listed = json_client.get_service_requests(service_code="out_of_shop_trading", status="open")
        assert [r["service_request_id"] for r in listed] == [request_id]

        reject_case(platform, case_of_report(platform, request_id))
        assert xml_client.get_service_request(request_id)["status"] == "closed"
        closed = json_client.get_service_requests(status="closed")
        assert [r["service_request_id"] for r in closed] == [request_id]
        assert json_client.get_service_requests(status="open") == []


def test_the_demo_files_one_report_over_http(platform: Platform) -> None:
    from streetorder.platform.open311.demo import report_about_shop

    with serve(platform.client.app) as base:
        created = report_about_shop(base, platform.db, "shop-002", photo=photo(),
                                    phone="13912345678")  # fmt: skip
        with pytest.raises(ValueError):
            report_about_shop(base, platform.db, "no-such-shop")
    case_id = case_of_report(platform, created["service_request_id"])
    with platform.db.session() as session:
        case = session.get(Case, case_id)
        assert case is not None and case.shop_id == "shop-002" and case.source == "citizen"
