"""Platform replicas as separate processes (``streetorder platform serve``), for kill tests and
the replica benchmark."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import func, select

from streetorder.platform.db import Case, Database
from streetorder.platform.services.seed import seed_demo
from streetorder.server.migrate import upgrade
from tests.support.s3 import KEY_ID, SECRET
from tests.support.services import (
    PrivateMosquitto,
    create_pg_database,
    drop_pg_database,
    free_port,
)


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


NODE = "edge-rk"
NODE_KEY = "sok_replica-test-node-key-0123456789"
PASSWORD = "streetorder-demo"


def wait_for(check, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} not met within {timeout:.0f} s")


@dataclass
class Cluster:
    url: str
    db: Database
    broker: PrivateMosquitto
    bucket: str
    replicas: list[Replica]

    def case_counts(self, alert_ids: list[str]) -> dict[str, int]:
        with self.db.session() as session:
            rows = session.execute(
                select(Case.alert_id, func.count()).where(Case.alert_id.in_(alert_ids))
                .group_by(Case.alert_id)
            ).all()  # fmt: skip
        return {alert_id: n for alert_id, n in rows}


@contextmanager
def replica_cluster(tmp: Path, s3, replicas: int = 2) -> Iterator[Cluster]:
    """A fresh PostgreSQL database (migrated, seeded with node ``NODE``), a private Mosquitto,
    a bucket on ``s3`` and ``replicas`` platform processes sharing them, all ready."""
    url = create_pg_database()
    broker = PrivateMosquitto(tmp / "broker").start()
    db = Database(url)
    running: list[Replica] = []
    try:
        upgrade(url)
        with db.session() as session:
            seed_demo(session, node_code=NODE, password=PASSWORD, bcrypt_rounds=4,
                      node_api_key=NODE_KEY)  # fmt: skip
        bucket = s3.new_bucket()
        config = tmp / "platform.yaml"
        config.write_text(yaml.safe_dump({
            "environment": "test", "database_url": url,
            "secret_key": "replica-test-secret-0123456789abcdef",
            "broker": {"host": broker.host, "port": broker.port, "keepalive_seconds": 5},
            "ingest": {"share_group": "replicas", "persistent_session": True},
            "evidence": {"dir": str(tmp / "staging"), "backend": "s3",
                         "s3": {"bucket": bucket, "endpoint_url": s3.endpoint_url,
                                "access_key_id": KEY_ID, "secret_access_key": SECRET}},
            "auth": {"bcrypt_rounds": 4},
        }))  # fmt: skip
        running.extend(Replica(config, f"replica-{i}", tmp) for i in range(replicas))
        for replica in running:
            wait_for(replica.ready, 60, f"{replica.base} ready")
        yield Cluster(url, db, broker, bucket, running)
    finally:
        for replica in running:
            replica.close()
        db.dispose()
        broker.stop()
        drop_pg_database(url)
