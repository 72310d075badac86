"""Shared fixtures: real brokers, real databases, generated footage."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.s3 import S3Server, s3_server
from tests.support.services import (
    Broker,
    PrivateMosquitto,
    create_pg_database,
    drop_pg_database,
    port_open,
    unavailable,
)

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def mqtt_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """The machine's Mosquitto when it answers on 127.0.0.1:1883, else one of our own."""
    host = os.environ.get("STREETORDER_TEST_MQTT_HOST", "127.0.0.1")
    port = int(os.environ.get("STREETORDER_TEST_MQTT_PORT", "1883"))
    if port_open(host, port):
        yield Broker(host, port)
        return
    private = PrivateMosquitto(tmp_path_factory.mktemp("mosquitto")).start()
    try:
        yield private.broker
    finally:
        private.stop()


@pytest.fixture
def mosquitto_factory(tmp_path: Path) -> Iterator[Callable[[], PrivateMosquitto]]:
    """Start private brokers (free port, persistence) that a test may stop and restart."""
    started: list[PrivateMosquitto] = []

    def start() -> PrivateMosquitto:
        broker = PrivateMosquitto(tmp_path / f"mosquitto-{len(started)}").start()
        started.append(broker)
        return broker

    yield start
    for broker in started:
        broker.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database per test, on SQLite and on a real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'platform.db'}"
        return
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture(scope="session")
def scenario_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generator's smoke scenario set: short videos with ground truth and edge configs."""
    out = tmp_path_factory.mktemp("scenarios")
    cmd = [sys.executable, "-m", "streetorder", "models", "scenarios", "--set", "smoke"]
    result = subprocess.run([*cmd, "--out", str(out)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"scenario generation failed: {result.stderr.strip()[-2000:]}")
    return out


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("STREETORDER_ENV", "test")


__all__ = ["Broker", "unavailable"]


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """One S3-protocol server per test session; each test makes its own bucket."""
    with s3_server(tmp_path_factory.mktemp("s3")) as server:
        yield server
