"""A small city for officer-app tests, built through the platform's own services.

Two streets with a squad each; squad A has an officer and a leader, squad B an officer; shops
on two roads of street A and one in street B; a camera alert for a shop becomes a dispatched
work order through the platform's ingest and review.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient

from streetorder.contracts import Alert
from streetorder.mobile_api.domain.clock import ManualClock
from streetorder.mobile_api.settings import MobileSettings
from streetorder.platform.db import Case, Database, WorkOrder
from streetorder.platform.domain.roles import SYSTEM, Actor, Role
from streetorder.platform.schemas.registry import (
    MerchantCreate,
    SquadCreate,
    StreetCreate,
    UserCreate,
)
from streetorder.platform.services import cases, evidence, ingest, registry
from streetorder.platform.services.rules import Rules
from streetorder.platform.settings import PlatformSettings
from streetorder.platform.storage import FileSystemStore
from streetorder.server import ServerSettings, create_app
from tests.mobile_api import photo_factory as pf

PASSWORD = "correct-horse-1"


@dataclass
class World:
    db: Database
    settings: PlatformSettings
    rules: Rules
    store: FileSystemStore
    clock: ManualClock
    client: TestClient
    app: FastAPI
    shops: dict[str, int] = field(default_factory=dict)  # shop_id -> merchant id
    users: dict[str, int] = field(default_factory=dict)
    squads: dict[str, int] = field(default_factory=dict)
    _tokens: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    _alerts: int = 0

    def login(self, username: str, password: str = PASSWORD) -> dict:
        response = self.client.post(
            "/api/mobile/v1/auth/login", json={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        return response.json()

    def headers(self, username: str, **extra: str) -> dict[str, str]:
        """A fresh access token for ``username`` (logged in again when the clock moved on)."""
        token, issued = self._tokens.get(username, ("", None))
        if issued is None or self.clock() - issued > timedelta(minutes=10):
            token = self.login(username)["access_token"]
            self._tokens[username] = (token, self.clock())
        return {"Authorization": f"Bearer {token}", **extra}

    def get(self, username: str, path: str, **kwargs):
        return self.client.get("/api/mobile/v1" + path, headers=self.headers(username), **kwargs)

    def post(self, username: str, path: str, key: str | None = None, **kwargs):
        headers = self.headers(username, **({"Idempotency-Key": key} if key else {}))
        return self.client.post("/api/mobile/v1" + path, headers=headers, **kwargs)

    def dispatch_alert(self, shop_id: str) -> tuple[int, int, list[int]]:
        """Camera alert with two evidence frames → case → confirmed by a reviewer → work order.

        Returns (case id, work order id, evidence file ids)."""
        self._alerts += 1
        now = self.clock()
        frames = {
            "clean.jpg": ("clean_frame", pf.jpeg(seed=self._alerts)),
            "annotated.jpg": ("annotated_frame", pf.jpeg(seed=100 + self._alerts)),
        }
        alert = Alert(
            alert_id=f"alert-{self._alerts:04d}",
            node_id="node-1",
            camera_id="cam-1",
            zone_id=f"zone-{shop_id}",
            shop_id=shop_id,
            episode_started_at=now - timedelta(minutes=6),
            threshold_crossed_at=now - timedelta(minutes=1),
            dwell_seconds=300.0,
            objects=[{"class_name": "goods", "score": 0.9, "box_xyxy": (10, 20, 60, 90)}],
            frame_size=(1280, 720),
            evidence=[
                {
                    "kind": kind,
                    "filename": name,
                    "content_type": "image/jpeg",
                    "size_bytes": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
                for name, (kind, data) in frames.items()
            ],
            model={"name": "detector", "version": "test"},
            created_at=now,
        )
        with self.db.session() as session:
            outcome = ingest.ingest_alerts(session, alerts=[alert], rules=self.rules, now=now)
            assert outcome.created == [alert.alert_id]
            file_ids = []
            for name, (_kind, data) in frames.items():
                record, _ = evidence.upload_alert_evidence(
                    session, store=self.store, actor=SYSTEM, alert_id=alert.alert_id,
                    filename=name, data=data, declared_sha256=hashlib.sha256(data).hexdigest(),
                    content_type="image/jpeg", max_bytes=10**7, now=now,
                )  # fmt: skip
                file_ids.append(record.id)
            case_id = session.scalars(
                Case.__table__.select()
                .with_only_columns(Case.id)
                .filter_by(alert_id=alert.alert_id)
            ).one()
            reviewer = Actor(role=Role.REVIEWER, name="reviewer", user_id=self.users["reviewer"])
            cases.confirm(session, case_id=case_id, actor=reviewer, rules=self.rules, now=now)
            order = session.scalars(
                WorkOrder.__table__.select()
                .with_only_columns(WorkOrder.id)
                .filter_by(case_id=case_id)
            ).one()
        return case_id, order, file_ids


def build_world(database_url: str, tmp_path, *, mobile: MobileSettings | None = None) -> World:
    from streetorder.server.migrate import upgrade

    upgrade(database_url)
    settings = PlatformSettings(
        environment="test",
        secret_key="test-secret-key-0123456789",
        database_url=database_url,
        evidence={"dir": tmp_path / "evidence"},
        auth={"bcrypt_rounds": 4},
    )
    db = Database(database_url)
    clock = ManualClock(datetime.fromisoformat("2026-11-23T01:00:00+00:00"))
    store = FileSystemStore(settings.evidence.dir)
    server = ServerSettings(platform=settings, mobile=mobile or MobileSettings())
    app = create_app(server, db=db, store=store, clock=clock)
    world = World(
        db=db, settings=settings, rules=Rules.from_settings(settings), store=store, clock=clock,
        client=TestClient(app), app=app,
    )  # fmt: skip
    with db.session() as session:
        for street, squad in (("S-A", "Q-A"), ("S-B", "Q-B")):
            registry.create_street(session, data=StreetCreate(code=street, name=street))
            row = registry.create_squad(
                session, data=SquadCreate(code=squad, name=squad, street_code=street)
            )
            world.squads[squad] = row.id
        for username, role, squad in (
            ("officer-a", "officer", "Q-A"), ("leader-a", "squad_leader", "Q-A"),
            ("officer-b", "officer", "Q-B"), ("reviewer", "reviewer", None),
        ):  # fmt: skip
            user, _ = registry.create_user(
                session,
                data=UserCreate(username=username, role=role, password=PASSWORD, squad_code=squad),
                bcrypt_rounds=4,
            )
            world.users[username] = user.id
        for shop_id, address, street, colour in (
            ("shop-1", "长宁路 101号", "S-A", "green"),
            ("shop-2", "长宁路 103号", "S-A", "yellow"),
            ("shop-3", "定西路 5号", "S-A", "red"),
            ("shop-9", "天山路 9号", "S-B", "green"),
        ):
            merchant = registry.create_merchant(
                session,
                data=MerchantCreate(
                    shop_id=shop_id, name=f"店铺 {shop_id}", address=address,
                    responsible_person="张三", mobile="13800138000", risk_colour=colour,
                    street_code=street,
                ),
            )  # fmt: skip
            world.shops[shop_id] = merchant.id
    return world
