"""Real services for tests: Mosquitto brokers and PostgreSQL databases.

The machine's services are used when they answer; tests that stop or break a broker start
their own on a free port. In CI (``CI=true``) a missing service is a failure, never a skip.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(reason: str) -> None:
    """Skip locally, fail in CI: the real-service tests must never silently vanish there."""
    if IN_CI:
        pytest.fail(f"required service unavailable in CI: {reason}")
    pytest.skip(reason)


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(host: str, port: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(host, port, 0.2):
            return True
        time.sleep(0.05)
    return False


@dataclass(frozen=True)
class Broker:
    host: str
    port: int


@dataclass
class PrivateMosquitto:
    """A Mosquitto of the test's own, with persistence (unless told otherwise), that can be
    stopped and restarted."""

    workdir: Path
    host: str = "127.0.0.1"
    port: int = field(default_factory=free_port)
    persistence: bool = True
    #: Extra configuration lines, e.g. ``password_file``/``acl_file`` (then no anonymous logins).
    auth: str = ""
    process: subprocess.Popen | None = None

    @property
    def broker(self) -> Broker:
        return Broker(self.host, self.port)

    def start(self) -> PrivateMosquitto:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(binary).exists():
            unavailable("mosquitto binary not installed")
        self.workdir.mkdir(parents=True, exist_ok=True)
        conf = self.workdir / "mosquitto.conf"
        # As root Mosquitto would drop to user mosquitto, which cannot enter pytest's 0700 tmp
        # dirs: persistence and the log would fail silently and a restart lose sessions.
        run_as = "user root\n" if os.geteuid() == 0 else ""
        conf.write_text(
            f"listener {self.port} {self.host}\n"
            f"allow_anonymous {'false' if self.auth else 'true'}\n"
            + (self.auth.rstrip("\n") + "\n" if self.auth else "")
            + f"persistence {'true' if self.persistence else 'false'}\n"
            f"persistence_location {self.workdir}/\n"
            "autosave_interval 1\n"
            f"log_dest file {self.workdir}/mosquitto.log\n"
            "max_queued_messages 100000\n" + run_as
        )
        self.process = subprocess.Popen(
            [binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        if not wait_for_port(self.host, self.port):
            self.stop()
            raise RuntimeError(f"private mosquitto did not start on port {self.port}")
        if not (self.workdir / "mosquitto.log").exists():
            self.stop()
            raise RuntimeError(f"private mosquitto cannot write to {self.workdir}")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None

    def kill(self) -> None:
        """Stop abruptly, as a crash would."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        self.process = None

    def restart(self) -> PrivateMosquitto:
        self.stop()
        return self.start()


PG_HOST = os.environ.get("STREETORDER_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("STREETORDER_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("STREETORDER_TEST_PG_USER", "postgres")


def _pg_admin():
    import psycopg

    return psycopg.connect(
        host=PG_HOST,
        port=PG_PORT,
        user=PG_USER,
        dbname="postgres",
        autocommit=True,
        connect_timeout=3,
    )


def create_pg_database() -> str:
    """Create an empty database and return its SQLAlchemy URL."""
    if not port_open(PG_HOST, PG_PORT):
        unavailable(f"PostgreSQL not reachable at {PG_HOST}:{PG_PORT}")
    name = f"so_test_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[-1]
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
