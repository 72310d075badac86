"""The dashboard's cases by source (camera, citizen, hotline) and handling time per source, from
the rollups and from a scan alike."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from streetorder.platform.db import Case
from streetorder.platform.services.dashboard import compute_stats, local_period
from tests.platform.conftest import Platform
from tests.platform.open311_support import (
    case_of_report,
    close_case,
    hotline_key,
    post,
    report_fields,
    shop_position,
)


def test_cases_and_handling_time_by_source(platform: Platform) -> None:
    alert = platform.alerts(zone="z1", shop="shop-001")
    platform.deliver(alert)
    with platform.db.session() as session:
        camera = session.scalars(select(Case.id).filter_by(alert_id=alert.alert_id)).one()
    lat, long = shop_position(platform, "shop-002")
    citizen = case_of_report(platform, post(platform, report_fields(lat, long)).json()[0]
                             ["service_request_id"])  # fmt: skip
    key = hotline_key(platform)
    hotline_fields = {"service_code": "street_stall", "address_string": "东方路口", "api_key": key}
    hotline = case_of_report(platform, post(platform, hotline_fields).json()[0]
                             ["service_request_id"])  # fmt: skip
    close_case(platform, camera, timedelta(hours=5))
    close_case(platform, citizen, timedelta(hours=2))
    start, end = local_period(7, platform.clock.now, platform.rules.tz)
    with platform.db.session() as session:
        for use_rollups in (True, False):
            stats = compute_stats(session, start=start, end=end, as_of=platform.clock.now,
                                  tz=platform.rules.tz, use_rollups=use_rollups)  # fmt: skip
            assert stats.by_source == {"camera": 1, "citizen": 1, "hotline": 1}
            assert stats.handling_by_source == {
                "camera": timedelta(hours=5), "citizen": timedelta(hours=2)
            }  # fmt: skip
            assert stats.average_handling == timedelta(hours=3, minutes=30)
            assert stats.as_json()["average_handling_seconds_by_source"] == {
                "camera": 5 * 3600, "citizen": 2 * 3600
            }  # fmt: skip
    assert hotline not in (camera, citizen)
