"""Platform fixtures: a migrated database per test, the API with a settable clock, seeded people."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from streetorder.contracts import Alert, DetectedObject, EvidenceRef, ModelInfo, stable_alert_id
from streetorder.platform.db import Database
from streetorder.platform.services import ingest
from streetorder.platform.services.rules import Rules
from streetorder.platform.services.seed import seed_demo
from streetorder.platform.settings import PlatformSettings, settings_from_mapping
from streetorder.server import create_app
from streetorder.server.migrate import upgrade

SECRET = "platform-test-secret-0123456789abcdef"
PASSWORD = "streetorder-demo"
T0 = datetime(2026, 11, 21, 6, 5, tzinfo=UTC)  # 14:05 in Shanghai


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


def jpeg_bytes(colour: tuple[int, int, int] = (90, 120, 150)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    return buffer.getvalue()


@dataclass
class AlertFactory:
    """Real contract alerts with evidence files whose sha256 is recorded in the alert."""

    clock: Clock
    node: str = "edge-01"
    files: dict[str, dict[str, bytes]] = field(default_factory=dict)
    n: int = 0

    def __call__(self, *, zone: str = "z1", shop: str = "shop-001", reminder: int = 0,
                 started_at: datetime | None = None, node: str | None = None) -> Alert:  # fmt: skip
        self.n += 1
        node = node or self.node
        started = started_at or (self.clock.now - timedelta(minutes=6, seconds=self.n))
        alert_id = stable_alert_id(node, "cam-01", zone, started, reminder)
        clean = jpeg_bytes((self.n % 255, 80, 80))
        annotated = jpeg_bytes((80, self.n % 255, 80))
        self.files[alert_id] = {"clean.jpg": clean, "annotated.jpg": annotated}
        refs = tuple(
            EvidenceRef(kind=kind, filename=name, content_type="image/jpeg",
                        size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest())  # fmt: skip
            for kind, name, data in (
                ("clean_frame", "clean.jpg", clean),
                ("annotated_frame", "annotated.jpg", annotated),
            )
        )  # fmt: skip
        return Alert(
            alert_id=alert_id, node_id=node, camera_id="cam-01", zone_id=zone, shop_id=shop,
            episode_started_at=started,
            threshold_crossed_at=started + timedelta(minutes=5) + timedelta(seconds=300 * reminder),
            dwell_seconds=300.0 + 300 * reminder, reminder=reminder,
            objects=(DetectedObject(class_name="goods", score=0.8, box_xyxy=(10, 200, 90, 300)),),
            frame_size=(1280, 720), evidence=refs,
            model=ModelInfo(name="streetorder-det", version="1"),
            created_at=started + timedelta(minutes=5),
        )  # fmt: skip


@dataclass
class Platform:
    settings: PlatformSettings
    db: Database
    rules: Rules
    clock: Clock
    client: TestClient
    node_key: str
    alerts: AlertFactory
    tokens: dict[str, str] = field(default_factory=dict)

    def login(self, username: str, password: str = PASSWORD) -> dict[str, str]:
        key = f"{username}@{self.clock.now.isoformat()}"  # tokens expire as the clock moves
        if key not in self.tokens:
            r = self.client.post(
                "/api/v1/auth/login", json={"username": username, "password": password}
            )
            assert r.status_code == 200, r.text
            self.tokens[key] = r.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[key]}"}

    def as_node(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.node_key}"}

    def deliver(self, *alerts: Alert) -> ingest.IngestOutcome:
        """Ingest as the MQTT consumer would (the consumer's own tests use real Mosquitto)."""
        with self.db.session() as session:
            return ingest.ingest_alerts(
                session, alerts=alerts, rules=self.rules, now=self.clock.now
            )

    def upload_evidence(self, alert: Alert, expect: int = 201) -> None:
        for name, data in self.alerts.files[alert.alert_id].items():
            r = self.client.put(
                f"/api/v1/alerts/{alert.alert_id}/evidence/{name}", content=data,
                headers={**self.as_node(), "Content-Type": "image/jpeg",
                         "X-Content-Sha256": hashlib.sha256(data).hexdigest()},
            )  # fmt: skip
            assert r.status_code == expect, r.text

    def case_of(self, alert_id: str, who: str = "reviewer") -> dict[str, Any]:
        r = self.client.get("/api/v1/cases", headers=self.login(who), params={"limit": 500})
        assert r.status_code == 200, r.text
        matches = [c for c in r.json()["data"] if c["alert_id"] == alert_id]
        assert len(matches) == 1, matches
        return self.client.get(f"/api/v1/cases/{matches[0]['id']}", headers=self.login(who)).json()

    def post(self, who: str, path: str, body: dict | None = None, status: int = 200) -> Any:
        r = self.client.post(f"/api/v1{path}", json=body or {}, headers=self.login(who))
        assert r.status_code == status, r.text
        return r.json()

    def photo(self, case_id: int, who: str = "officer") -> int:
        r = self.client.post(
            f"/api/v1/cases/{case_id}/photos", headers=self.login(who),
            files={"file": ("after.jpg", jpeg_bytes((200, 200, 200)), "image/jpeg")},
        )  # fmt: skip
        assert r.status_code == 201, r.text
        return r.json()["id"]

    def rectify_with_photo(self, case_id: int) -> dict[str, Any]:
        return self.post(
            "officer", f"/cases/{case_id}/rectify", {"photo_ids": [self.photo(case_id)]}
        )


def make_settings(url: str, tmp: Path, **extra) -> PlatformSettings:
    return settings_from_mapping(
        {"environment": "test", "database_url": url, "secret_key": SECRET,
         "evidence": {"dir": str(tmp / "evidence")}, "auth": {"bcrypt_rounds": 4}, **extra},
        "test settings",
    )  # fmt: skip


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def platform_factory(
    database_url: str, tmp_path: Path, clock: Clock
) -> Iterator[Callable[..., Platform]]:
    """Build the platform on the test's database (migrated, seeded); extra settings as kwargs."""
    made: list[Platform] = []

    def build(node_code: str = "edge-01", publisher=None, **extra) -> Platform:
        upgrade(database_url)
        settings = make_settings(database_url, tmp_path, **extra)
        db = Database(database_url)
        with db.session() as session:
            report = seed_demo(session, node_code=node_code, password=PASSWORD, bcrypt_rounds=4,
                               node_api_key="sok_test-node-key-0123456789")  # fmt: skip
        client = TestClient(create_app(settings, db=db, clock=clock, publisher=publisher))
        assert report.node_api_key
        platform = Platform(settings, db, Rules.from_settings(settings), clock, client,
                            report.node_api_key, AlertFactory(clock, node=node_code))  # fmt: skip
        made.append(platform)
        return platform

    yield build
    for platform in made:
        platform.client.close()
        platform.db.dispose()


@pytest.fixture
def platform(platform_factory: Callable[..., Platform]) -> Platform:
    return platform_factory()
