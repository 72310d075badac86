"""A whole edge node process killed and its broker restarted/crashed mid-run: no alert is lost."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from streetorder.contracts import decode, topics
from tests.edge.mqtt_support import Subscriber, first_arrivals, make_alert
from tests.edge.node_child import MAX_ALERTS
from tests.edge.node_support import camera

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]


def _states(sub: Subscriber, node: str) -> list[str]:
    return [decode(p).state for p in sub.payloads(topics.status(node))]  # type: ignore[union-attr]


def test_node_sigkilled_twice_and_broker_restarted_then_crashed_delivers_every_alert_once(
    mosquitto_factory, tmp_path: Path
) -> None:
    broker = mosquitto_factory()
    node = "node-k"
    cams = ("c1", "c2")
    cfg = tmp_path / "node.yaml"
    cfg.write_text(
        yaml.safe_dump(
            {
                "node_id": node,
                "broker": {"host": broker.host, "port": broker.port, "keepalive_seconds": 5},
                "storage": {"dir": "var"},
                "heartbeat_seconds": 1,
                "cameras": [camera(c, "good", interval=0.1) for c in cams],
            }
        )
    )
    expected = {c: [make_alert(node, i, c).alert_id for i in range(MAX_ALERTS)] for c in cams}
    sub = Subscriber(broker.host, broker.port, topics.alerts(node), topics.status(node))

    def unique() -> int:
        return len(set(sub.alert_ids(topics.alerts(node))))

    def spawn() -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "tests.edge.node_child", str(cfg)], cwd=REPO)

    child = spawn()
    try:
        # 1. The broker restarts while the node runs.
        assert sub.wait_for(lambda: unique() >= 10, 30)
        rejoined = sub.subscriptions
        broker.stop()
        time.sleep(1.0)
        broker.start()
        assert sub.wait_for(lambda: sub.subscriptions > rejoined)
        # 2. The node is SIGKILLed: the broker publishes its Last Will.
        assert sub.wait_for(lambda: unique() >= 30, 30)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        assert sub.wait_for(lambda: _states(sub, node)[-1:] == ["offline"], 15)
        # 3. Restarted, it is killed again while the broker is frozen (alerts on the wire,
        #    never acknowledged), and the broker then crashes too.
        child = spawn()
        assert sub.wait_for(lambda: _states(sub, node)[-1:] == ["online"], 15)
        assert sub.wait_for(lambda: unique() >= 70, 40)
        broker.process.send_signal(signal.SIGSTOP)
        time.sleep(0.6)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        broker.process.send_signal(signal.SIGCONT)
        broker.kill()
        rejoined = sub.subscriptions
        broker.start()
        assert sub.wait_for(lambda: sub.subscriptions > rejoined)
        # 4. Third run: everything arrives; then a clean SIGTERM stop.
        child = spawn()
        assert sub.wait_for(lambda: unique() == 2 * MAX_ALERTS, 60), unique()
        arrived = first_arrivals(sub.alert_ids(topics.alerts(node)))
        everything = sub.alert_ids(topics.alerts(node))
        for c in cams:
            order = [expected[c].index(i) for i in arrived if i in expected[c]]
            raw = [expected[c].index(i) for i in everything if i in expected[c]]
            assert order == list(range(MAX_ALERTS)), f"{c} arrivals (alert numbers): {raw}"
        child.send_signal(signal.SIGTERM)
        assert child.wait(20) == 0
        assert sub.wait_for(lambda: _states(sub, node)[-1:] == ["offline"], 10)
    finally:
        if child.poll() is None:
            child.kill()
        sub.close()
