"""The edge node against a real Mosquitto: camera isolation, heartbeat, config push and ack."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from streetorder.config.loader import validate_mapping
from streetorder.contracts import ConfigAck, ConfigPush, Heartbeat, decode, encode, topics
from streetorder.edge.config import EdgeNodeConfig
from streetorder.edge.node import EdgeNode
from tests.edge.mqtt_support import Subscriber
from tests.edge.node_support import MODEL, camera, scripted_runtime

pytestmark = pytest.mark.mqtt


def node_config(tmp_path: Path, broker, node_id: str, cameras: list[dict]) -> EdgeNodeConfig:
    data = {
        "node_id": node_id,
        "broker": {"host": broker.host, "port": broker.port, "keepalive_seconds": 5},
        "storage": {"dir": str(tmp_path / "var")},
        "heartbeat_seconds": 1,
        "cameras": cameras,
    }
    return validate_mapping(EdgeNodeConfig, data, "test node config")


class Running:
    """An EdgeNode serving in a thread."""

    def __init__(self, config: EdgeNodeConfig, **runtime_args) -> None:
        self.node = EdgeNode(config, runtime=scripted_runtime(**runtime_args), backoff_cap=0.3)
        self.thread = threading.Thread(target=self.node.run)
        self.thread.start()

    def close(self) -> None:
        self.node.stop_event.set()
        self.thread.join(15)
        assert not self.thread.is_alive()


def beats(sub: Subscriber, node: str) -> list[Heartbeat]:
    return [decode(p) for p in sub.payloads(topics.stats(node))]  # type: ignore[misc]


def acks(sub: Subscriber, node: str) -> list[ConfigAck]:
    return [decode(p) for p in sub.payloads(topics.config_ack(node))]  # type: ignore[misc]


def push(sub: Subscriber, node: str, revision: int, cameras: list[dict]) -> None:
    message = {
        "kind": "config",
        "v": 1,
        "node_id": node,
        "revision": revision,
        "cameras": cameras,
        "issued_at": datetime.now(UTC).isoformat(),
    }
    sub.client.publish(topics.config(node), json.dumps(message), qos=1, retain=True)


def test_one_bad_camera_never_stalls_the_others_and_the_heartbeat_tells(
    mosquitto_factory, tmp_path: Path
) -> None:
    broker = mosquitto_factory()
    node = "node-a"
    sub = Subscriber(broker.host, broker.port, f"streetorder/v1/{node}/#")
    cams = [camera("good", "good"), camera("broken", "broken"), camera("flaky", "flaky")]
    run = Running(node_config(tmp_path, broker, node, cams))
    try:

        def states() -> dict[str, str]:
            hb = beats(sub, node)
            return {c.camera_id: c.state for c in hb[-1].cameras} if hb else {}

        assert sub.wait_for(lambda: len(sub.payloads(topics.alerts(node))) >= 8, 20)
        assert sub.wait_for(lambda: states().get("broken") in ("reconnecting", "offline"), 10)
        last = beats(sub, node)[-1]
        by_id = {c.camera_id: c for c in last.cameras}
        assert by_id["good"].state == "online" and by_id["good"].analysed_fps > 5
        assert "connection refused" in (by_id["broken"].error or "")
        assert by_id["broken"].analysed_fps == 0
        assert last.model == MODEL and last.config_revision == 0
        assert last.queue_length >= 0 and last.queue_dropped == 0
        # the flaky camera drops every 5 frames and keeps coming back
        assert run.node.workers["flaky"].reconnects >= 2
        assert run.node.workers["flaky"].frames_total >= 10
        cams_alerting = {decode(p).camera_id for p in sub.payloads(topics.alerts(node))}  # type: ignore[union-attr]
        assert {"good", "flaky"} <= cams_alerting
    finally:
        run.close()
        sub.close()


def test_config_push_is_applied_without_restart_acknowledged_and_persisted(
    mosquitto_factory, tmp_path: Path
) -> None:
    broker = mosquitto_factory()
    node = "node-b"
    sub = Subscriber(broker.host, broker.port, f"streetorder/v1/{node}/#")
    config = node_config(tmp_path, broker, node, [camera("c1", "good"), camera("c2", "good")])
    run = Running(config)
    try:
        assert sub.wait_for(lambda: {"c1", "c2"} <= set(run.node.workers), 5)
        c1_worker = run.node.workers["c1"]
        push(sub, node, 3, [camera("c1", "good"), camera("c3", "good", interval=0.1)])
        assert sub.wait_for(lambda: len(acks(sub, node)) == 1)
        ack = acks(sub, node)[0]
        assert ack.accepted and ack.revision == 3 and ack.active_revision == 3
        assert set(run.node.workers) == {"c1", "c3"}
        assert run.node.workers["c1"] is c1_worker  # unchanged camera kept running
        assert sub.wait_for(
            lambda: any(
                hb.config_revision == 3
                and {c.camera_id for c in hb.cameras} == {"c1", "c3"}
                and all(c.state == "online" for c in hb.cameras)
                for hb in beats(sub, node)
            )
        )
    finally:
        run.close()
    # Restart with the same file: the pushed config (revision 3) is what runs.
    sub.client.publish(topics.config(node), b"", qos=1, retain=True)  # clear the retained push
    again = Running(config)
    try:
        assert sub.wait_for(lambda: set(again.node.workers) == {"c1", "c3"}, 5)
        assert again.node.revision == 3
    finally:
        again.close()
        sub.close()


def test_invalid_older_or_foreign_pushes_are_refused_with_the_reason_and_the_old_config_stays(
    mosquitto_factory, tmp_path: Path
) -> None:
    broker = mosquitto_factory()
    node = "node-c"
    sub = Subscriber(broker.host, broker.port, f"streetorder/v1/{node}/#")
    no_umbrellas = ("goods", "rack", "table", "stall", "person", "two_wheeler")
    c1 = camera("c1", "good")
    c1["zones"][0]["rules"] = {"classes": ["goods"]}  # the node starts only if the model has them
    config = node_config(tmp_path, broker, node, [c1])
    run = Running(config, class_names=no_umbrellas)
    try:
        assert sub.wait_for(lambda: "c1" in run.node.workers, 5)
        ok_zone = {
            "id": "z1",
            "shop_id": "s1",
            "polygon": [[0, 0], [1, 0], [1, 1]],
            "rules": {"classes": ["goods"]},
        }
        good = {**camera("c9", "good"), "zones": [ok_zone]}
        push(sub, node, 5, [good])
        assert sub.wait_for(lambda: len(acks(sub, node)) == 1)
        assert acks(sub, node)[0].accepted
        bad_polygon = {**good, "zones": [{**ok_zone, "polygon": [[0, 0], [2, 0], [1, 1]]}]}
        push(sub, node, 6, [bad_polygon])
        umbrella = {**good, "zones": [{**ok_zone, "rules": {"classes": ["umbrella"]}}]}
        push(sub, node, 7, [umbrella])
        push(sub, node, 4, [camera("c1", "good")])  # older than the active revision 5
        foreign = json.loads(
            encode(
                ConfigPush(
                    node_id="other-node", revision=8, cameras=(), issued_at=datetime.now(UTC)
                )
            )
        )
        sub.client.publish(topics.config(node), json.dumps(foreign), qos=1)
        sub.client.publish(topics.config(node), b"{not json", qos=1)
        assert sub.wait_for(lambda: len(acks(sub, node)) == 6)
        refused = acks(sub, node)[1:]
        assert [a.accepted for a in refused] == [False] * 5
        assert [a.revision for a in refused] == [6, 7, 4, 8, 0]
        assert all(a.active_revision == 5 for a in refused)
        assert "outside 0..1" in refused[0].reason and "polygon" in refused[0].reason
        assert refused[1].reason.startswith(
            "config revision 7: cameras[0].zones[0].rules.classes: 'umbrella' is not a class of "
            "the model (camera c9, zone z1; the model's classes: goods, rack, table, stall, person"
        )
        assert "older" in refused[2].reason
        assert "other-node" in refused[3].reason
        assert "not JSON" in refused[4].reason
        assert set(run.node.workers) == {"c9"} and run.node.revision == 5
        time.sleep(0.5)
        push(sub, node, 5, [good])  # the same revision again (a retained copy): silently ignored
        time.sleep(1.0)
        assert len(acks(sub, node)) == 6
    finally:
        run.close()
        sub.close()
