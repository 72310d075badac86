"""Per-node credentials and TLS against a real Mosquitto with a password file, ACL and TLS."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from streetorder.config.common import BrokerConfig, TlsConfig
from streetorder.contracts import encode, topics
from streetorder.edge.transport.mqtt import Drainer, MqttLink
from streetorder.edge.transport.queue import Outbox
from tests.edge.mqtt_support import first_arrivals, make_alert
from tests.support.services import free_port, unavailable, wait_for_port

pytestmark = pytest.mark.mqtt


def _run(*cmd: str, cwd: Path) -> None:
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def tls_broker():
    """Mosquitto on a TLS listener, no anonymous access, each node limited to its own topics."""
    for tool in ("mosquitto", "mosquitto_passwd", "openssl"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            unavailable(f"{tool} not installed")
    # Outside pytest's 0700 tmp tree: Mosquitto drops root for its own user and must read these.
    d = Path(tempfile.mkdtemp(prefix="streetorder-tls-"))
    _run(
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-subj",
        "/CN=streetorder test CA",
        cwd=d,
    )
    _run(
        "openssl",
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
        cwd=d,
    )
    (d / "san.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    _run(
        "openssl",
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        cwd=d,
    )
    _run("mosquitto_passwd", "-c", "-b", "passwd", "node-t", "node-secret", cwd=d)
    _run("mosquitto_passwd", "-b", "passwd", "platform", "platform-secret", cwd=d)
    (d / "acl").write_text(
        "user platform\ntopic readwrite streetorder/v1/#\n\npattern readwrite streetorder/v1/%u/#\n"
    )
    port = free_port()
    (d / "mosquitto.conf").write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous false\n"
        f"password_file {d}/passwd\nacl_file {d}/acl\n"
        f"cafile {d}/ca.crt\ncertfile {d}/server.crt\nkeyfile {d}/server.key\n"
        f"log_dest file {d}/mosquitto.log\n"
    )
    if os.geteuid() == 0:
        for p in [d, *d.iterdir()]:
            shutil.chown(p, user="mosquitto")
        os.chmod(d / "passwd", 0o600)
        os.chmod(d / "server.key", 0o600)
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    proc = subprocess.Popen(
        [binary, "-c", str(d / "mosquitto.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if not wait_for_port("127.0.0.1", port):
        proc.kill()
        log = (d / "mosquitto.log").read_text() if (d / "mosquitto.log").exists() else ""
        shutil.rmtree(d, ignore_errors=True)
        pytest.fail(f"TLS mosquitto did not start: {log[-500:]}")
    try:
        yield port, d / "ca.crt"
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(d, ignore_errors=True)


def _edge(tmp_path: Path, port: int, ca: Path, user: str, password: str, node: str):
    broker = BrokerConfig(
        host="localhost",
        port=port,
        username=user,
        password=password,
        keepalive_seconds=5,
        tls=TlsConfig(ca_file=ca),
    )
    outbox = Outbox(tmp_path / f"{user}-{password}.db")
    stop = threading.Event()
    link = MqttLink(broker, node, reconnect_max_seconds=2)
    drainer = Drainer(outbox, link, stop, await_receipts=False)  # the broker link alone
    link.start()
    drainer.start()
    return outbox, link, drainer, stop


def _platform(port: int, ca: Path, received: list[str]):
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from streetorder.contracts import decode

    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id="platform-tls-test", protocol=mqtt.MQTTv5
    )
    client.username_pw_set("platform", "platform-secret")
    client.tls_set(ca_certs=str(ca))
    subscribed = threading.Event()
    client.on_connect = lambda c, *a: c.subscribe(topics.ALL_ALERTS, qos=1)
    client.on_subscribe = lambda *a: subscribed.set()
    client.on_message = lambda c, u, m: received.append(decode(m.payload).alert_id)
    client.connect("localhost", port)
    client.loop_start()
    assert subscribed.wait(10)
    return client


def test_alerts_flow_over_tls_with_the_nodes_own_credentials(tls_broker, tmp_path: Path) -> None:
    port, ca = tls_broker
    received: list[str] = []
    platform = _platform(port, ca, received)
    outbox, link, drainer, stop = _edge(tmp_path, port, ca, "node-t", "node-secret", "node-t")
    try:
        assert link.wait_connected(10)
        sent = []
        for i in range(10):
            alert = make_alert("node-t", i)
            outbox.put(alert.alert_id, topics.alerts("node-t"), encode(alert))
            sent.append(alert.alert_id)
        deadline = time.monotonic() + 10
        while len(set(received)) < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert first_arrivals(received) == sent
        while len(outbox) and time.monotonic() < deadline:  # the last PUBACKs may trail
            time.sleep(0.05)
        assert len(outbox) == 0
    finally:
        stop.set()
        drainer.join(5)
        link.stop()
        platform.disconnect()
        platform.loop_stop()


def test_a_wrong_password_keeps_alerts_queued(tls_broker, tmp_path: Path) -> None:
    port, ca = tls_broker
    outbox, link, drainer, stop = _edge(tmp_path, port, ca, "node-t", "wrong", "node-t")
    try:
        alert = make_alert("node-t", 0)
        outbox.put(alert.alert_id, topics.alerts("node-t"), encode(alert))
        assert not link.wait_connected(3)
        assert outbox.ids() == [alert.alert_id]
    finally:
        stop.set()
        drainer.join(5)
        link.stop()


def test_a_node_publishing_under_another_nodes_topics_is_refused_and_keeps_the_message(
    tls_broker, tmp_path: Path
) -> None:
    """The ACL confines each node to its own topics; the MQTT 5 PUBACK says 'not authorized',
    so the message is not deleted: it stays queued instead of being silently lost."""
    port, ca = tls_broker
    outbox, link, drainer, stop = _edge(tmp_path, port, ca, "node-t", "node-secret", "node-t")
    try:
        assert link.wait_connected(10)
        alert = make_alert("other-node", 0)
        outbox.put(alert.alert_id, topics.alerts("other-node"), encode(alert))
        time.sleep(2.0)
        assert outbox.ids() == [alert.alert_id]
        assert drainer.published_total == 0
    finally:
        stop.set()
        drainer.join(5)
        link.stop()
