"""The console's review queue with citizen reports: a source filter, the source on each item,
and the report's text and photos in the review panel (no reporter's name or number)."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from tests.platform.conftest import PASSWORD, Platform
from tests.platform.open311_support import (
    case_of_report,
    close_case,
    photo,
    post,
    report_fields,
    shop_position,
)

FORM_CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def _console(platform: Platform, username: str = "reviewer") -> TestClient:
    client = TestClient(platform.client.app)
    page = client.get("/console/login")
    token = FORM_CSRF_RE.search(page.text)[1]
    r = client.post(
        "/console/login", follow_redirects=False,
        data={"username": username, "password": PASSWORD, "csrf_token": token, "next": ""},
    )  # fmt: skip
    assert r.status_code in (302, 303), r.text
    return client


def test_the_queue_shows_and_filters_citizen_reports(platform: Platform) -> None:
    alert = platform.alerts(zone="z2", shop="shop-002")
    platform.deliver(alert)
    lat, long = shop_position(platform, "shop-001")
    fields = report_fields(lat, long, phone="13912345678", first_name="诸葛")
    created = post(platform, fields, files=[("media", ("a.jpg", photo(), "image/jpeg"))])
    request_id = created.json()[0]["service_request_id"]
    case_id = case_of_report(platform, request_id)
    number = f"CG{case_id:08d}"
    client = _console(platform)

    everything = client.get("/console/queue")
    assert everything.status_code == 200 and number in everything.text
    assert "市民上报" in everything.text and "按来源筛选" in everything.text
    citizen = client.get("/console/queue", params={"source": "citizen"}).text
    camera = client.get("/console/queue", params={"source": "camera"}).text
    assert number in citizen and number not in camera
    assert client.get("/console/queue", params={"source": "bogus"}).status_code == 200

    panel = client.get(f"/console/queue/panel/{case_id}")
    assert panel.status_code == 200
    assert "水果摊摆到了人行道上" in panel.text and request_id in panel.text
    assert "13912345678" not in panel.text and "诸葛" not in panel.text
    (photo_url,) = re.findall(r'<img class="report-photo" src="([^"]+)"', panel.text)
    image = client.get(photo_url)
    assert image.status_code == 200 and image.content[:3] == b"\xff\xd8\xff"


def test_the_dashboard_shows_handling_time_by_source(platform: Platform) -> None:
    lat, long = shop_position(platform, "shop-001")
    request_id = post(platform, report_fields(lat, long)).json()[0]["service_request_id"]
    client = _console(platform)
    page = client.get("/console/dashboard").text
    assert 'data-chart="handling_by_source"' in page and '<table class="handling">' not in page
    close_case(platform, case_of_report(platform, request_id), timedelta(hours=2))
    page = client.get("/console/dashboard").text
    (table,) = re.findall(r'<table class="handling">(.*?)</table>', page, re.S)
    assert re.findall(r"<th>(.*?)</th>", table) == ["市民上报"]
    assert "2" in table


def test_a_citizen_case_page_shows_the_residents_photo_as_evidence_and_before(
    platform: Platform,
) -> None:
    """The resident's photo (it shows the goods) is the case's evidence and its "before"; only
    the officer's photo is "after" (it was shown as an officer's after-photo, beside his)."""
    lat, long = shop_position(platform, "shop-001")
    fields = report_fields(lat, long, phone="13912345678")
    created = post(platform, fields, files=[("media", ("a.jpg", photo(), "image/jpeg"))])
    case_id = case_of_report(platform, created.json()[0]["service_request_id"])
    close_case(platform, case_id, after=timedelta(seconds=40))
    page = _console(platform).get(f"/console/cases/{case_id}").text

    evidence = page.split('id="photos"')[0]
    assert "水果摊摆到了人行道上" in evidence and 'class="report-photo"' in evidence
    assert "证据图片尚未收到" not in page
    before, after = page.split('<div class="after">')[0], page.split('<div class="after">')[1]
    before = before.split('<figure class="before">')[1]
    (resident,) = re.findall(r'<img class="report-photo" src="([^"]+)"', evidence)
    assert f'src="{resident}"' in before and "改正前(市民上报照片)" in before
    after = after.split("</div>")[0]
    assert after.count('class="officer-photo"') == 1 and resident not in after
    assert '<strong id="handling-time">40秒</strong>' in page  # a run of seconds, not 0分钟
