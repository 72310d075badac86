"""Model versions delivered from a running platform to a running edge node, over a real
Mosquitto and HTTP: a canary camera switches without a restart and reports the version in its
heartbeats and alerts; a model that does not load, lacks a zone's class or is too slow is refused
with the reason while the previous one keeps running; rollback; SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from streetorder.config.loader import validate_mapping
from streetorder.contracts import CameraConfig, ZoneConfig, ZoneRules, topics
from streetorder.edge.config import EdgeNodeConfig
from streetorder.edge.node import EdgeNode
from streetorder.edge.runtime.default import default_runtime
from streetorder.platform.db import Database
from streetorder.platform.services.seed import seed_demo
from streetorder.server.migrate import upgrade
from streetorder.server.runtime import ServerRuntime
from streetorder.vocabulary import CLASS_NAMES
from tests.edge.node_support import ScriptedSource
from tests.platform.conftest import PASSWORD, make_settings
from tests.support.model_bundles import detector_bytes, manifest_for
from tests.support.polling import wait_for
from tests.web.browser_support import serve

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

NAMES = list(CLASS_NAMES)
#: goods in zone z1 (the left frontage) of the 64×36 test picture, in 64×64 input pixels
GOODS_IN_Z1 = [(16.0, 39.6, 12.0, 10.0, "goods", 0.9)]
LEFT = ((0.05, 0.55), (0.45, 0.55), (0.45, 0.95), (0.05, 0.95))
RULES = ZoneRules(dwell_seconds=1, reminder_seconds=2, clear_seconds=5, only_new_objects=False)
BUDGET_MS = 30.0


def cameras() -> tuple[CameraConfig, ...]:
    return tuple(
        CameraConfig(
            id=cid,
            source=f"test://{cid}",
            analysis_interval_seconds=0.2,
            zones=(ZoneConfig(id="z1", shop_id=shop, polygon=LEFT, rules=RULES),),
        )  # fmt: skip
        for cid, shop in (("cam-01", "shop-001"), ("cam-02", "shop-002"))
    )


@dataclass
class World:
    node: str
    client: TestClient
    admin: dict[str, str]
    edge: EdgeNode

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        r = self.client.request(method, f"/api/v1{path}", headers=self.admin, **kwargs)
        assert r.status_code in (200, 201), r.text
        return r.json()

    def upload(self, version: str, names: list[str] = NAMES, **model: Any) -> int:
        data = detector_bytes(names, [(*GOODS_IN_Z1[0][:4], names[0], 0.9)], **model)
        manifest = manifest_for(data, names, version, metrics={"mAP50": 0.9})
        files = {"model": ("streetorder-det.onnx", data),
                 "manifest": ("manifest.json", json.dumps(manifest).encode())}  # fmt: skip
        return self.api("POST", "/models", files=files)["id"]

    def assign(self, version_id: int | None, camera: str | None = None) -> int:
        body = {"node": self.node, "camera": camera, "version_id": version_id}
        return self.api("POST", "/models/assignments", json=body)["config_revision"]

    def answer(self, revision: int) -> dict[str, Any]:
        """The node's acknowledgement of ``revision`` as the platform recorded it."""

        def acked() -> dict[str, Any] | None:
            history = self.api("GET", f"/nodes/{self.node}/config")
            mine = [h for h in history if h["revision"] == revision]
            return mine[0] if mine and mine[0]["ack_accepted"] is not None else None

        return wait_for(acked, 60)

    def running(self) -> dict[str, str]:
        """Per camera, the version the node's last heartbeat reported (via the platform)."""
        [node] = [n for n in self.api("GET", "/models/rollout") if n["node"] == self.node]
        return {c["camera"]: c["running"] for c in node["cameras"]}

    def alert_versions(self, camera: str) -> list[str]:
        page = self.api("GET", "/alerts", params={"limit": 500})["data"]
        return [a["model_version"] for a in page if a["camera_code"] == camera]


def node_config(tmp_path: Path, broker, node: str, url: str, key: str) -> EdgeNodeConfig:
    own = tmp_path / "own.onnx"
    own.write_bytes(detector_bytes(NAMES, GOODS_IN_Z1))
    data = {
        "node_id": node,
        "broker": {"host": broker.host, "port": broker.port, "keepalive_seconds": 5},
        "platform": {"url": url, "token": key},
        "model": {"path": str(own), "latency_budget_ms": BUDGET_MS},
        "storage": {"dir": str(tmp_path / "edge")},
        "heartbeat_seconds": 1,
        "cameras": [c.model_dump(mode="json") for c in cameras()],
    }
    return validate_mapping(EdgeNodeConfig, data, "test node config")


def scripted_sources(config: EdgeNodeConfig, base_dir: Path):
    """The production runtime (real ONNX models, pipelines, switch) on scripted pictures."""
    runtime = default_runtime(config, base_dir)
    runtime.open_source = ScriptedSource
    return runtime


@pytest.fixture
def world(database_url: str, tmp_path: Path, mqtt_broker) -> Iterator[World]:
    node = f"mr-{uuid.uuid4().hex[:8]}"
    upgrade(database_url)
    settings = make_settings(
        database_url, tmp_path,
        broker={"host": mqtt_broker.host, "port": mqtt_broker.port},
        ingest={"share_group": f"g{uuid.uuid4().hex[:8]}", "batch_wait_ms": 10},
    )  # fmt: skip
    db = Database(database_url)
    with db.session() as session:
        report = seed_demo(session, node_code=node, cameras=cameras(), password=PASSWORD,
                           bcrypt_rounds=4, node_api_key=f"sok_{node}-key-0123456789")  # fmt: skip
    key = report.node_api_key
    db.dispose()
    server = ServerRuntime(settings, jobs=False)
    app = server.start()
    edge: EdgeNode | None = None
    thread: threading.Thread | None = None
    try:
        with serve(app) as url:
            client = TestClient(app)
            r = client.post("/api/v1/auth/login", json={"username": "admin", "password": PASSWORD})
            admin = {"Authorization": f"Bearer {r.json()['access_token']}"}
            assert key is not None
            edge = EdgeNode(
                node_config(tmp_path, mqtt_broker, node, url, key), base_dir=tmp_path,
                runtime=scripted_sources, backoff_cap=0.5,
            )  # fmt: skip
            thread = threading.Thread(target=edge.run, name="edge-node")
            thread.start()
            wait_for(lambda: len(edge.workers) == 2)
            yield World(node, client, admin, edge)
    finally:
        if edge is not None and thread is not None:
            edge.stop_event.set()
            thread.join(20)
        if server.publisher is not None:  # the broker is shared: no retained config left
            server.publisher.publish(topics.config(node), b"", qos=1, retain=True)
        server.stop()


def test_canary_refusals_and_rollback(world: World) -> None:
    w = world
    own = w.edge.runtime.model.version  # type: ignore[union-attr]
    assert w.answer(w.api("POST", f"/nodes/{w.node}/config/push")["revision"])["ack_accepted"]
    wait_for(lambda: w.running() == {"cam-01": f"own {own}", "cam-02": f"own {own}"})

    # canary: cam-02 gets v2; it switches between frames, cam-01 keeps the node's own model
    v2 = w.upload("v2")
    worker = w.edge.workers["cam-02"]
    frames = worker.frames_total
    assert w.answer(w.assign(v2, camera="cam-02"))["ack_accepted"] is True
    wait_for(lambda: w.running() == {"cam-01": f"own {own}", "cam-02": "streetorder-det v2"})
    assert w.edge.workers["cam-02"] is worker and worker.reconnects == 0
    wait_for(lambda: worker.frames_total > frames + 5)
    wait_for(lambda: "v2" in w.alert_versions("cam-02"), 60)
    assert set(w.alert_versions("cam-01")) == {own}

    # refused: each with its reason; cam-02 goes on with v2
    refusals = [
        (w.upload("broken", foreign_op=True), "streetorder-det broken: refused, it does not load"),
        (w.upload("narrow", names=["person", "rack"]), "'goods' is not a class of the model"),
        (w.upload("slow", busy=120), f"over this node's latency budget of {BUDGET_MS:g} ms"),
    ]  # fmt: skip
    for version_id, reason in refusals:
        answer = w.answer(w.assign(version_id, camera="cam-02"))
        assert answer["ack_accepted"] is False and reason in answer["ack_reason"], answer
        assert w.edge.runtime.models.running("cam-02").version == "v2"  # type: ignore[union-attr]
    assert w.edge.workers["cam-02"] is worker and worker.reconnects == 0
    [node] = [n for n in w.api("GET", "/models/rollout") if n["node"] == w.node]
    assert node["ack"] == "refused" and "latency budget" in node["ack_reason"]
    assert {c["camera"]: c["assigned"] for c in node["cameras"]}["cam-02"] == "streetorder-det slow"
    assert w.running()["cam-02"] == "streetorder-det v2"

    # rollback of the camera: back to v2, the last version it applied
    back = w.api("POST", "/models/rollback", json={"node": w.node, "camera": "cam-02"})
    assert back["version_id"] == v2 and w.answer(back["config_revision"])["ack_accepted"]

    # the whole node on v2, then rolled back to its own model
    assert w.answer(w.assign(v2))["ack_accepted"] is True
    wait_for(
        lambda: w.running() == {"cam-01": "streetorder-det v2", "cam-02": "streetorder-det v2"}
    )
    wait_for(lambda: "v2" in w.alert_versions("cam-01"), 60)
    back = w.api("POST", "/models/rollback", json={"node": w.node})
    assert back["version_id"] is None and w.answer(back["config_revision"])["ack_accepted"]
    wait_for(lambda: w.running() == {"cam-01": f"own {own}", "cam-02": "streetorder-det v2"})
