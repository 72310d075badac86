"""Two platform replicas on one PostgreSQL, one Mosquitto and one S3 store, behind the shared
subscription: one is SIGKILLed mid-ingest; the other goes on serving ingest, API, console and
officer app, and every alert the edge sent becomes exactly one case."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.platform.conftest import AlertFactory, Clock
from tests.platform.test_platform_receipts import Edge
from tests.support.replicas import NODE, NODE_KEY, PASSWORD, replica_cluster, wait_for

pytestmark = [pytest.mark.mqtt, pytest.mark.postgres, pytest.mark.slow]

ALERTS = 240


def test_one_replica_killed_mid_ingest_loses_and_doubles_nothing(tmp_path: Path, s3) -> None:
    with replica_cluster(tmp_path, s3) as cluster:
        doomed, survivor = cluster.replicas
        factory = AlertFactory(Clock(datetime.now(UTC)), node=NODE)
        alerts = [factory() for _ in range(ALERTS)]
        ids = [a.alert_id for a in alerts]
        edge = Edge(tmp_path / "outbox.db", cluster.broker, NODE)
        try:
            for alert in alerts[: ALERTS // 2]:
                edge.send(alert)
            wait_for(lambda: len(cluster.case_counts(ids)) >= ALERTS // 8, 60, "first cases")
            doomed.kill()  # SIGKILL mid-ingest: no goodbye, batches in its hands unacknowledged
            for alert in alerts[ALERTS // 2 :]:
                edge.send(alert)
            wait_for(lambda: len(edge.outbox) == 0, 120, "every alert receipted")
            assert edge.outbox.failed() == []
        finally:
            edge.close()

        counts = cluster.case_counts(ids)
        assert len(counts) == ALERTS, f"lost {ALERTS - len(counts)}"
        assert set(counts.values()) == {1}, "an alert made two cases"

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
        stored = s3.client().list_objects_v2(Bucket=cluster.bucket).get("Contents", [])
        assert len(stored) == len(factory.files[alert.alert_id])
