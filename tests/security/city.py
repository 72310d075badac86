"""Two squads with data in each, built through the platform's services and APIs.

Street A with squad A (officer-a, leader-a) and street B with squad B (officer-b, leader-b); one
edge node whose camera sees a shop in each street; a reviewer and an admin. Each shop has a
camera alert with evidence, confirmed by the reviewer (so an SMS and a work order exist), and
each officer uploaded an inspection photo in the officer app. ``markers`` are strings only
squad B's data contains (shop, mobile, alert id, case number, evidence hashes, SMS text).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from streetorder.platform.db import Database
from streetorder.platform.db.cases import case_number
from streetorder.platform.schemas.registry import (
    CameraCreate,
    EdgeNodeCreate,
    MerchantCreate,
    SquadCreate,
    StreetCreate,
    UserCreate,
    ZoneCreate,
)
from streetorder.platform.services import ingest, registry
from streetorder.platform.services.rules import Rules
from streetorder.server import create_app
from streetorder.server.migrate import upgrade
from tests.mobile_api import photo_factory
from tests.platform.conftest import T0, AlertFactory, Clock, make_settings

PASSWORD = "two-squads-pass-1"
NODE = "edge-01"
MOBILES = {"a": "13800001111", "b": "13911112222"}


@dataclass
class Side:
    """What one squad owns (ids as the APIs name them)."""

    squad_id: int
    street_code: str
    street_id: int
    shop_id: str
    merchant_id: int
    zone_code: str
    alert_id: str
    case_id: int
    work_order_id: int
    message_id: int
    file_id: int
    photo_id: int
    officer_id: int


@dataclass
class City:
    app: FastAPI
    client: TestClient
    db: Database
    clock: Clock
    node_key: str
    sides: dict[str, Side] = field(default_factory=dict)
    markers: dict[str, list[str]] = field(default_factory=dict)
    tokens: dict[tuple[str, str], str] = field(default_factory=dict)

    def token(self, username: str, api: str = "platform") -> str:
        """An access token for ``username`` from the platform's or the officer app's login."""
        if username == NODE:
            return self.node_key
        key = (username, api)
        if key not in self.tokens:
            path = "/api/mobile/v1/auth/login" if api == "mobile" else "/api/v1/auth/login"
            r = self.client.post(path, json={"username": username, "password": PASSWORD})
            assert r.status_code == 200, r.text
            self.tokens[key] = r.json()["access_token"]
        return self.tokens[key]

    def headers(self, username: str, api: str = "platform") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username, api)}"}


def _registry(session, city_sides: dict[str, dict[str, Any]]) -> str:
    for x in "ab":
        street = registry.create_street(
            session, data=StreetCreate(code=f"street-{x}", name=f"街道{x.upper()}")
        )
        squad = registry.create_squad(
            session, data=SquadCreate(code=f"squad-{x}", name=f"中队{x}", street_code=f"street-{x}")
        )
        merchant = registry.create_merchant(
            session,
            data=MerchantCreate(
                shop_id=f"shop-{x}", name=f"店铺{x.upper()}", address=f"路{x}号",
                responsible_person=f"负责人{x}", mobile=MOBILES[x], street_code=f"street-{x}",
            ),
        )  # fmt: skip
        users = {}
        for role in ("officer", "squad_leader"):
            name = f"{'leader' if role == 'squad_leader' else 'officer'}-{x}"
            user, _ = registry.create_user(
                session, bcrypt_rounds=4,
                data=UserCreate(
                    username=name, role=role, password=PASSWORD, squad_code=f"squad-{x}"
                ),
            )  # fmt: skip
            users[role] = user.id
        city_sides[x] = {
            "squad_id": squad.id, "street_code": street.code, "street_id": street.id,
            "shop_id": merchant.shop_id, "merchant_id": merchant.id, "zone_code": f"z-{x}",
            "officer_id": users["officer"],
        }  # fmt: skip
    for name, role in (("reviewer", "reviewer"), ("admin", "admin")):
        registry.create_user(
            session, bcrypt_rounds=4,
            data=UserCreate(username=name, role=role, password=PASSWORD),
        )  # fmt: skip
    registry.create_node(session, data=EdgeNodeCreate(code=NODE, street_code="street-a"))
    _, key = registry.create_user(
        session, data=UserCreate(username=NODE, role="edge_node", node_code=NODE)
    )
    registry.create_camera(
        session, node_code=NODE, data=CameraCreate(code="cam-01", source="rtsp://cam/1")
    )
    for x in "ab":
        registry.create_zone(
            session, node_code=NODE, camera_code="cam-01",
            data=ZoneCreate(code=f"z-{x}", shop_id=f"shop-{x}",
                            polygon=[(0.1, 0.1), (0.4, 0.1), (0.4, 0.4)]),
        )  # fmt: skip
    assert key
    return key


def build_city(database_url: str, tmp_path: Path) -> City:
    upgrade(database_url)
    settings = make_settings(database_url, tmp_path)
    db = Database(database_url)
    clock = Clock(T0)
    app = create_app(settings, db=db, clock=clock)
    raw: dict[str, dict[str, Any]] = {}
    with db.session() as session:
        node_key = _registry(session, raw)
    city = City(
        app=app,
        client=TestClient(app, raise_server_exceptions=False),
        db=db,
        clock=clock,
        node_key=node_key,
    )
    rules = Rules.from_settings(settings)
    alerts = AlertFactory(clock, node=NODE)
    for x in "ab":
        alerts.n = 0 if x == "a" else 120  # evidence colours far apart: distinct JPEG bytes
        alert = alerts(zone=f"z-{x}", shop=f"shop-{x}")
        with db.session() as session:
            outcome = ingest.ingest_alerts(session, alerts=[alert], rules=rules, now=clock.now)
        assert outcome.created == [alert.alert_id], outcome
        for name, data in alerts.files[alert.alert_id].items():
            r = city.client.put(
                f"/api/v1/alerts/{alert.alert_id}/evidence/{name}", content=data,
                headers={"Authorization": f"Bearer {node_key}", "Content-Type": "image/jpeg",
                         "X-Content-Sha256": hashlib.sha256(data).hexdigest()},
            )  # fmt: skip
            assert r.status_code == 201, r.text
        listed = city.client.get(
            "/api/v1/cases", headers=city.headers("reviewer"), params={"limit": 500}
        ).json()["data"]
        [case_id] = [c["id"] for c in listed if c["alert_id"] == alert.alert_id]
        r = city.client.post(
            f"/api/v1/cases/{case_id}/confirm", json={}, headers=city.headers("reviewer")
        )
        assert r.status_code == 200, r.text
        case = r.json()
        photo = city.client.post(
            "/api/mobile/v1/photos", headers=city.headers(f"officer-{x}", "mobile"),
            files={"file": ("p.jpg", photo_factory.jpeg(seed=7 if x == "a" else 8), "image/jpeg")},
        )  # fmt: skip
        assert photo.status_code == 201, photo.text
        [sms] = case["sms"]
        city.sides[x] = Side(
            **raw[x], alert_id=alert.alert_id, case_id=case_id,
            work_order_id=case["work_orders"][0]["id"], message_id=sms["id"],
            file_id=case["evidence"][0]["id"], photo_id=photo.json()["id"],
        )  # fmt: skip
        city.markers[x] = [
            f"shop-{x}", MOBILES[x], alert.alert_id, case_number(case_id), sms["body"],
            *(f["sha256"] for f in case["evidence"]), photo.json()["sha256"],
        ]  # fmt: skip
    return city
