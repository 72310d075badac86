"""Helpers of the Open311 tests: posting reports, counting what is stored, photos."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from PIL import Image
from sqlalchemy import func, select

from streetorder.platform.db import CitizenReport, EvidenceFile, Merchant
from streetorder.platform.domain.roles import Actor, Role
from streetorder.platform.open311.clients import create
from tests.platform.conftest import Platform

BASE = "/open311/v2"


def photo(size: tuple[int, int] = (320, 240), fmt: str = "JPEG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (180, 90, 40)).save(buffer, fmt)
    return buffer.getvalue()


def shop_position(platform: Platform, shop_id: str) -> tuple[float, float]:
    with platform.db.session() as session:
        m = session.scalars(select(Merchant).filter_by(shop_id=shop_id)).one()
        assert m.latitude is not None and m.longitude is not None
        return m.latitude, m.longitude


def report_fields(lat: float, long: float, **extra: str) -> dict[str, str]:
    return {
        "service_code": "out_of_shop_trading", "lat": f"{lat:.6f}", "long": f"{long:.6f}",
        "description": "水果摊摆到了人行道上", **extra,
    }  # fmt: skip


def post(
    platform: Platform, data: dict[str, str], *, fmt: str = "json",
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
):  # fmt: skip
    return platform.client.post(f"{BASE}/requests.{fmt}", data=data, files=files)


def stored(platform: Platform) -> tuple[int, int, int, int]:
    """(cases, reports, evidence rows, files in the evidence store)."""
    from streetorder.platform.db import Case

    with platform.db.session() as session:
        counts = tuple(
            session.scalar(select(func.count()).select_from(model))
            for model in (Case, CitizenReport, EvidenceFile)
        )
    root = Path(platform.settings.evidence.dir)
    files = sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0
    return (*counts, files)  # type: ignore[return-value]


def hotline_key(platform: Platform, name: str = "12345热线") -> str:
    with platform.db.session() as session:
        _, key = create(
            session, name=name, source="hotline", actor=Actor(Role.ADMIN, "admin"),
            now=platform.clock.now,
        )  # fmt: skip
    return key


def xml_items(text: str, root: str, item: str) -> list[dict[str, Any]]:
    top = ET.fromstring(text)
    assert top.tag == root, top.tag
    return [{child.tag: child.text for child in entry} for entry in top.findall(item)]


def xml_errors(text: str) -> list[dict[str, Any]]:
    return xml_items(text, "errors", "error")


def case_of_report(platform: Platform, service_request_id: str) -> int:
    report_id = int(service_request_id.removeprefix("SR"))
    with platform.db.session() as session:
        report = session.get(CitizenReport, report_id)
        assert report is not None
        return report.case_id


REVIEWER = Actor(Role.REVIEWER, "reviewer")


def reject_case(platform: Platform, case_id: int, reason: str = "现场无违规") -> None:
    """Through the case service (the API's own tests cover its routes)."""
    from streetorder.platform.services import cases

    with platform.db.session() as session:
        cases.reject(
            session, case_id=case_id, actor=REVIEWER, rules=platform.rules,
            now=platform.clock.now, reason=reason,
        )  # fmt: skip
