"""File one citizen report the way a resident's app does: a GeoReport v2 POST over HTTP.

For the demo and for trying a running platform by hand::

    report = report_about_shop("http://127.0.0.1:8000", db, "shop-001", photo=jpeg_bytes)
    # {"service_request_id": "SR00000001", "token": "...", "service_notice": ""}

The report then waits in the review queue with source ``citizen``; its status is at
``/open311/v2/requests/<service_request_id>.json``.
"""

from __future__ import annotations

from typing import Any

import httpx

from streetorder.platform.db import Database
from streetorder.platform.open311.intake import shop_position

DEFAULT_TEXT = "店门口的货架和水果筐摆到了人行道上，行人只能绕到机动车道走。"


def file_citizen_report(
    base_url: str, *, lat: float, long: float, description: str = DEFAULT_TEXT,
    service_code: str = "out_of_shop_trading", photo: bytes | None = None,
    phone: str | None = None, api_key: str | None = None, timeout: float = 10.0,
) -> dict[str, Any]:  # fmt: skip
    """POST one report to ``{base_url}/open311/v2/requests.json``; the created request, or an
    ``httpx.HTTPStatusError`` carrying the standard's error list."""
    fields = {
        "service_code": service_code, "lat": f"{lat:.6f}", "long": f"{long:.6f}",
        "description": description,
    }  # fmt: skip
    if phone:
        fields |= {"phone": phone, "attribute[sms_consent]": "yes"}
    if api_key:
        fields["api_key"] = api_key
    files = [("media", ("photo.jpg", photo, "image/jpeg"))] if photo else None
    url = f"{base_url.rstrip('/')}/open311/v2/requests.json"
    response = httpx.post(url, data=fields, files=files, timeout=timeout)
    response.raise_for_status()
    return response.json()[0]


def report_about_shop(base_url: str, db: Database, shop_id: str, **options: Any) -> dict[str, Any]:
    """A report standing at a registered shop's coordinates (a few metres off, as a phone's GPS
    would be)."""
    with db.session() as session:
        position = shop_position(session, shop_id=shop_id)
    if position is None:
        raise ValueError(f"shop {shop_id!r} is not registered with coordinates")
    lat, long = position
    return file_citizen_report(base_url, lat=lat + 0.00005, long=long, **options)
