"""Helpers of the Open311 tests: posting reports, counting what is stored, photos."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from PIL import Image
from sqlalchemy import func, select

from streetorder.platform.db import CitizenReport, EvidenceFile, Merchant, User
from streetorder.platform.domain.roles import Actor, Role
from streetorder.platform.open311.clients import create
from streetorder.platform.services import cases
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
    with platform.db.session() as session:
        cases.reject(
            session, case_id=case_id, actor=REVIEWER, rules=platform.rules,
            now=platform.clock.now, reason=reason,
        )  # fmt: skip


def close_case(platform: Platform, case_id: int, after: timedelta) -> None:
    """Confirm now, rectify with a photo, verify and close ``after`` the discovery."""
    rules, now = platform.rules, platform.clock.now
    with platform.db.session() as session:
        officer = session.scalars(select(User).filter_by(username="officer")).one()
        actor = Actor(Role.OFFICER, "officer", officer.id, officer.squad_id)
        case = cases.confirm(session, case_id=case_id, actor=REVIEWER, rules=rules, now=now)
        photo = EvidenceFile(case_id=case.id, kind="rectification", filename="after.jpg",
                             content_type="image/jpeg", size_bytes=1, sha256="0" * 64,
                             storage_key="x/after.jpg", uploaded_at=now)  # fmt: skip
        session.add(photo)
        session.flush()
        end = case.discovered_at + after
        cases.rectify(session, case_id=case_id, actor=actor, rules=rules, now=end,
                      photo_ids=[photo.id])  # fmt: skip
        cases.verify(session, case_id=case_id, actor=REVIEWER, rules=rules, now=end)
        cases.close(session, case_id=case_id, actor=REVIEWER, rules=rules, now=end)
