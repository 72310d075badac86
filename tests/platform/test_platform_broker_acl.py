"""Per-node broker logins: `streetorder platform broker-acl` writes a Mosquitto password file and
ACL from the registry; a real Mosquitto with those files lets each node publish only under its
own prefix and read only its own config and receipts, and the platform ingests the real node."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from streetorder.config.common import BrokerConfig
from streetorder.contracts import encode, topics
from streetorder.platform.db import Case
from streetorder.platform.domain.errors import InvalidInput
from streetorder.platform.ingest.consumer import IngestConsumer
from streetorder.platform.services import broker_access
from streetorder.platform.services.seed import seed_demo
from streetorder.platform.settings import IngestSettings
from tests.support.services import PrivateMosquitto

from .broker_logins import Login
from .conftest import PASSWORD, SECRET
from .test_platform_ingest import wait_for
from .test_platform_receipts import Edge, end_of

pytestmark = pytest.mark.mqtt
NOT_AUTHORIZED = 0x87
PLATFORM_PASSWORD = "platform-broker-password-123"


def test_hashes_are_mosquittos_pbkdf2_sha512() -> None:
    encoded = broker_access.mosquitto_hash("s3cret", salt=b"0123456789ab")
    assert encoded.startswith("$7$1000$MDEyMzQ1Njc4OWFi$")
    assert broker_access.mosquitto_verify("s3cret", encoded)
    assert not broker_access.mosquitto_verify("s3cret!", encoded)
    assert not broker_access.mosquitto_verify("s3cret", "$6$abc$def")
    tool = shutil.which("mosquitto_passwd")
    if tool is None:
        pytest.skip("mosquitto_passwd not installed")
    made = subprocess.run([tool, "-b", "-c", "/dev/stdout", "u", "pw-from-tool"],
                          capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert broker_access.mosquitto_verify("pw-from-tool", made.strip().partition(":")[2])


def test_build_keeps_existing_logins_rotates_and_drops_removed_nodes() -> None:
    first = broker_access.build(["edge-a", "edge-b"], platform_user="platform",
                                platform_password=PLATFORM_PASSWORD)  # fmt: skip
    assert set(first.new_passwords) == {"edge-a", "edge-b"}
    existing = broker_access.parse_password_file(first.password_file)
    assert set(existing) == {"platform", "edge-a", "edge-b"}
    again = broker_access.build(["edge-a", "edge-c"], platform_user="platform",
                                platform_password=PLATFORM_PASSWORD, existing=existing,
                                rotate=["edge-a"])  # fmt: skip
    assert set(again.new_passwords) == {"edge-a", "edge-c"}
    assert again.removed == ["edge-b"]
    kept = broker_access.parse_password_file(again.password_file)
    assert kept["platform"] == existing["platform"]  # same password: same entry
    assert broker_access.mosquitto_verify(again.new_passwords["edge-a"], kept["edge-a"])
    assert (
        "user edge-b" not in again.acl and "topic write streetorder/v1/edge-c/alerts" in again.acl
    )
    with pytest.raises(InvalidInput, match="cannot be a broker user name"):
        broker_access.build(["edge:1"], platform_user="platform", platform_password="x" * 10)
    with pytest.raises(InvalidInput, match="unregistered"):
        broker_access.build(["edge-a"], platform_user="platform", platform_password="x" * 10,
                            rotate=["edge-z"])  # fmt: skip


def case_alert_ids(p) -> set[str]:
    with p.db.session() as session:
        return set(session.scalars(select(Case.alert_id)))


def _run_cli(config: Path, passwd: Path, acl: Path) -> dict[str, str]:
    result = subprocess.run(
        [sys.executable, "-m", "streetorder", "platform", "broker-acl", "--config", str(config),
         "--passwd", str(passwd), "--acl", str(acl)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    found = re.findall(r"^node (\S+): broker user \S+, password \(shown once\): (\S+)$",
                       result.stdout, re.M)  # fmt: skip
    return dict(found)


def test_a_node_publishes_and_reads_only_its_own_topics_and_the_platform_ingests_it(
    platform_factory, tmp_path: Path
) -> None:
    p = platform_factory(node_code="edge-a")
    with p.db.session() as session:
        seed_demo(session, node_code="edge-b", password=PASSWORD, bcrypt_rounds=4)
    config = tmp_path / "platform.yaml"
    config.write_text(yaml.safe_dump({
        "environment": "test", "database_url": p.settings.database_url, "secret_key": SECRET,
        "broker": {"host": "127.0.0.1", "port": 1883, "username": "platform",
                   "password": PLATFORM_PASSWORD},
    }))  # fmt: skip
    passwd, acl = tmp_path / "broker" / "passwd", tmp_path / "broker" / "acl"
    secrets = _run_cli(config, passwd, acl)
    assert set(secrets) == {"edge-a", "edge-b"}
    assert passwd.stat().st_mode & 0o777 == 0o640
    assert _run_cli(config, passwd, acl) == {}  # again: nothing new, the same logins

    broker = PrivateMosquitto(tmp_path / "mosquitto", persistence=False,
                              auth=f"password_file {passwd}\nacl_file {acl}\n").start()  # fmt: skip
    logins: list[Login] = []
    consumer = None

    def login(user: str | None, password: str | None) -> Login:
        logins.append(Login(broker.port, user, password))
        return logins[-1]

    try:
        assert login(None, None).connect_reason == NOT_AUTHORIZED  # no anonymous logins
        assert login("edge-a", secrets["edge-b"]).connect_reason == NOT_AUTHORIZED
        a, b = login("edge-a", secrets["edge-a"]), login("edge-b", secrets["edge-b"])
        platform = login("platform", PLATFORM_PASSWORD)
        assert a.connected.is_set() and b.connected.is_set() and platform.connected.is_set()

        # Reading: Mosquitto grants any subscription but delivers only what the ACL lets the
        # login read, so A subscribed to B's topics and to everything still sees only its own.
        a.subscribe(
            topics.config("edge-b"),
            topics.receipts("edge-b"),
            topics.alerts("edge-b"),
            "streetorder/v1/#",
            topics.config("edge-a"),
            topics.receipts("edge-a"),
        )
        assert platform.publish(topics.config("edge-b"), b"config-b", retain=True) == 0
        assert platform.publish(topics.config("edge-a"), b"config-a", retain=True) == 0
        assert platform.publish(topics.receipts("edge-b"), b"receipt-b") == 0
        assert b.publish(topics.alerts("edge-b"), b"b's own alert") == 0  # B publishes its own

        # Writing: A may not publish under B's prefix, nor the platform's config or receipts.
        forged = p.alerts(node="edge-b")
        assert a.publish(topics.alerts("edge-b"), encode(forged)) == NOT_AUTHORIZED
        assert a.publish(topics.status("edge-b"), b"{}") == NOT_AUTHORIZED
        assert a.publish(topics.config("edge-a"), b"{}", retain=True) == NOT_AUTHORIZED
        assert a.publish(topics.receipts("edge-a"), b"{}") == NOT_AUTHORIZED
        assert a.publish("streetorder/v1/elsewhere", b"{}") == NOT_AUTHORIZED
        time.sleep(0.5)
        assert {t for t, _ in a.received()} == {topics.config("edge-a")}

        # The platform's own login ingests the real node's alert; the forgery never arrived.
        consumer = IngestConsumer(
            BrokerConfig(host="127.0.0.1", port=broker.port, username="platform",
                         password=PLATFORM_PASSWORD),
            p.db, p.rules, settings=IngestSettings(share_group=f"g{uuid.uuid4().hex[:6]}"),
            clock=p.clock,
        )  # fmt: skip
        consumer.start()
        assert consumer.wait_connected(10)
        time.sleep(0.3)
        alert = p.alerts()
        assert a.publish(topics.alerts("edge-a"), encode(alert)) == 0
        wait_for(lambda: alert.alert_id in case_alert_ids(p))
        wait_for(lambda: any(t == topics.receipts("edge-a") for t, _ in a.received()))
        assert a.publish(topics.alerts("edge-b"), encode(forged)) == NOT_AUTHORIZED
        time.sleep(0.5)
        assert forged.alert_id not in case_alert_ids(p)
        assert not [t for t, _ in a.received() if "edge-b" in t]

        # The edge's own link, outbox and drainer log in as the node: its alert and episode end
        # are delivered, and their receipts come back (the outbox empties only on a receipt).
        edge = Edge(tmp_path / "outbox.db", broker, "edge-a", password=secrets["edge-a"])
        try:
            second = p.alerts(zone="z2", shop="shop-002")
            edge.send(second)
            edge.send(end_of(second))
            wait_for(lambda: len(edge.outbox) == 0)
            assert second.alert_id in case_alert_ids(p)
        finally:
            edge.close()
    finally:
        if consumer is not None:
            consumer.stop()
        for each in logins:
            each.close()
        broker.stop()


def test_the_command_needs_the_platforms_own_broker_login(tmp_path: Path) -> None:
    config = tmp_path / "platform.yaml"
    config.write_text(yaml.safe_dump({
        "environment": "test", "database_url": f"sqlite:///{tmp_path / 'p.db'}",
        "secret_key": SECRET, "broker": {"host": "127.0.0.1"},
    }))  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "streetorder", "platform", "broker-acl", "--config", str(config),
         "--passwd", str(tmp_path / "passwd"), "--acl", str(tmp_path / "acl")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode != 0
    assert "set broker.username and broker.password" in result.stderr
    assert not (tmp_path / "passwd").exists() and not (tmp_path / "acl").exists()
