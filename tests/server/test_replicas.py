"""Two platform replicas on one PostgreSQL, one Mosquitto and one S3 store, behind the shared
subscription: one is SIGKILLed mid-ingest; the other goes on serving ingest, API, console and
officer app, and every alert the edge sent becomes exactly one case."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import func, select

from streetorder.platform.db import Case, Database
from streetorder.platform.services.seed import seed_demo
from streetorder.server.migrate import upgrade
from tests.platform.conftest import PASSWORD, AlertFactory, Clock
from tests.platform.test_platform_receipts import Edge
from tests.support.s3 import KEY_ID, SECRET
from tests.support.services import (
    PrivateMosquitto,
    create_pg_database,
    drop_pg_database,
    free_port,
)

pytestmark = [pytest.mark.mqtt, pytest.mark.postgres, pytest.mark.slow]

NODE = "edge-rk"
NODE_KEY = "sok_replica-test-node-key-0123456789"
ALERTS = 240


class Replica:
    def __init__(self, config: Path, name: str, log_dir: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = (log_dir / f"{name}.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streetorder.cli", "platform", "serve", "--config",
             str(config), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base}/readyz", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


def wait_for(check, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} not met within {timeout:.0f} s")


def case_counts(db: Database, alert_ids: list[str]) -> dict[str, int]:
    with db.session() as session:
        rows = session.execute(
            select(Case.alert_id, func.count()).where(Case.alert_id.in_(alert_ids))
            .group_by(Case.alert_id)
        ).all()  # fmt: skip
    return {alert_id: n for alert_id, n in rows}


def test_one_replica_killed_mid_ingest_loses_and_doubles_nothing(tmp_path: Path, s3) -> None:
    url = create_pg_database()
    broker = PrivateMosquitto(tmp_path / "broker").start()
    replicas: list[Replica] = []
    edge = None
    db = Database(url)
    try:
        upgrade(url)
        with db.session() as session:
            seed_demo(session, node_code=NODE, password=PASSWORD, bcrypt_rounds=4,
                      node_api_key=NODE_KEY)  # fmt: skip
        bucket = s3.new_bucket()
        config = tmp_path / "platform.yaml"
        config.write_text(yaml.safe_dump({
            "environment": "test", "database_url": url,
            "secret_key": "replica-test-secret-0123456789abcdef",
            "broker": {"host": broker.host, "port": broker.port, "keepalive_seconds": 5},
            "ingest": {"share_group": "replicas", "persistent_session": True},
            "evidence": {"dir": str(tmp_path / "staging"), "backend": "s3",
                         "s3": {"bucket": bucket, "endpoint_url": s3.endpoint_url,
                                "access_key_id": KEY_ID, "secret_access_key": SECRET}},
            "auth": {"bcrypt_rounds": 4},
        }))  # fmt: skip
        replicas = [Replica(config, name, tmp_path) for name in ("replica-a", "replica-b")]
        for replica in replicas:
            wait_for(replica.ready, 60, f"{replica.base} ready")
        doomed, survivor = replicas

        factory = AlertFactory(Clock(datetime.now(UTC)), node=NODE)
        alerts = [factory() for _ in range(ALERTS)]
        ids = [a.alert_id for a in alerts]
        edge = Edge(tmp_path / "outbox.db", broker, NODE)
        for alert in alerts[: ALERTS // 2]:
            edge.send(alert)
        wait_for(lambda: len(case_counts(db, ids)) >= ALERTS // 8, 60, "first cases")
        doomed.kill()  # SIGKILL mid-ingest: no goodbye, batches in its hands unacknowledged
        for alert in alerts[ALERTS // 2 :]:
            edge.send(alert)
        wait_for(lambda: len(edge.outbox) == 0, 120, "every alert receipted")

        counts = case_counts(db, ids)
        assert len(counts) == ALERTS, f"lost {ALERTS - len(counts)}"
        assert set(counts.values()) == {1}, "an alert made two cases"
        assert edge.outbox.failed() == []

        # The survivor serves everything: readiness, API, console, officer app, evidence.
        assert survivor.ready()
        with httpx.Client(base_url=survivor.base, timeout=10) as client:
            login = client.post("/api/v1/auth/login",
                                json={"username": "reviewer", "password": PASSWORD})  # fmt: skip
            token = login.json()["access_token"]
            listed = client.get("/api/v1/cases", params={"limit": 1},
                                headers={"Authorization": f"Bearer {token}"})  # fmt: skip
            assert listed.status_code == 200 and listed.json()["count"] >= ALERTS
            assert client.get("/console/login").status_code == 200
            officer = client.post("/api/mobile/v1/auth/login",
                                  json={"username": "officer", "password": PASSWORD})  # fmt: skip
            assert officer.status_code == 200, officer.text
            alert = alerts[-1]
            for name, data in factory.files[alert.alert_id].items():
                put = client.put(
                    f"/api/v1/alerts/{alert.alert_id}/evidence/{name}", content=data,
                    headers={"Authorization": f"Bearer {NODE_KEY}", "Content-Type": "image/jpeg",
                             "X-Content-Sha256": hashlib.sha256(data).hexdigest()},
                )  # fmt: skip
                assert put.status_code == 201, put.text
        stored = s3.client().list_objects_v2(Bucket=bucket).get("Contents", [])
        assert len(stored) == len(factory.files[alert.alert_id])
    finally:
        if edge is not None:
            edge.close()
        for replica in replicas:
            replica.close()
        db.dispose()
        broker.stop()
        drop_pg_database(url)
