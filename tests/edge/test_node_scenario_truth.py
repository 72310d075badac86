"""The whole node on the generator's scenario videos (truth boxes stand in for the model):
node SIGKILLed mid-video and the broker restarted, then every truth episode arrives as exactly
one alert id, at the right time, in order; a quiet scenario raises nothing."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from streetorder.contracts import decode, topics
from tests.edge.mqtt_support import Subscriber, first_arrivals

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]


def scenario(folder: Path, with_episodes: bool) -> tuple[dict, Path]:
    truths = [(json.loads(p.read_text()), p) for p in sorted(folder.glob("*.truth.json"))]
    if with_episodes:
        return max(truths, key=lambda tp: len(tp[0]["episodes"]))
    return next(tp for tp in truths if not tp[0]["episodes"])


def write_config(folder: Path, truth: dict, tmp: Path, node: str, broker) -> Path:
    config = yaml.safe_load((folder / truth["config"]).read_text())
    for cam in config["cameras"]:
        cam["source"] = str(folder / cam["source"])
    config.update(
        node_id=node,
        broker={"host": broker.host, "port": broker.port, "keepalive_seconds": 5},
        storage={"dir": str(tmp / "var"), "clip_seconds_after": 1},
        realtime_files=False,
        heartbeat_seconds=1,
    )
    path = tmp / "node.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def spawn(cfg: Path, truth: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "tests.edge.scenario_child", str(cfg), str(truth)]
    return subprocess.Popen(cmd, cwd=REPO)


def ended(sub: Subscriber, node: str) -> bool:
    return any(
        c.error == "source ended"
        for p in sub.payloads(topics.stats(node))
        for c in decode(p).cameras  # type: ignore[union-attr]
    )


@pytest.fixture
def folder(request: pytest.FixtureRequest) -> Path:
    pytest.importorskip("streetorder.models.synth.scenarios")
    return request.getfixturevalue("scenario_dir")


def test_every_episode_arrives_once_in_order_through_a_kill_and_a_broker_restart(
    folder: Path, mosquitto_factory, tmp_path: Path
) -> None:
    truth, truth_path = scenario(folder, with_episodes=True)
    assert len(truth["episodes"]) >= 2
    broker = mosquitto_factory()
    node = "node-truth"
    cfg = write_config(folder, truth, tmp_path, node, broker)
    sub = Subscriber(broker.host, broker.port, f"streetorder/v1/{node}/#")
    child = spawn(cfg, truth_path)
    try:
        assert sub.wait_for(lambda: sub.payloads(topics.alerts(node)), 120), "no first alert"
        child.send_signal(signal.SIGKILL)  # mid-video: the next episode is ~45 video-s away
        child.wait(10)
        assert len(set(sub.alert_ids(topics.alerts(node)))) == 1 and not ended(sub, node)
        rejoined = sub.subscriptions
        broker.stop()  # and the broker goes away and comes back while the node is down
        time.sleep(0.5)
        broker.start()
        assert sub.wait_for(lambda: sub.subscriptions > rejoined)
        child = spawn(cfg, truth_path)
        assert sub.wait_for(lambda: ended(sub, node), 180), "the video never finished"
        child.send_signal(signal.SIGTERM)
        assert child.wait(30) == 0
        alerts = [decode(p) for p in sub.payloads(topics.alerts(node))]
        firsts = first_arrivals([a.alert_id for a in alerts if a.reminder == 0])  # type: ignore[union-attr]
        by_id = {a.alert_id: a for a in alerts}  # type: ignore[union-attr]
        anchor = next(iter(json.loads((tmp_path / "var/file_anchors.json").read_text()).values()))
        got = [
            (by_id[i].zone_id, by_id[i].threshold_crossed_at.timestamp() - anchor) for i in firsts
        ]
        episodes = sorted(truth["episodes"], key=lambda e: e["threshold_seconds"])
        assert len(got) == len(episodes), (got, episodes)
        for (zone, at), episode in zip(got, episodes, strict=True):  # in order of the threshold
            assert zone == episode["zone_id"]
            assert -1.5 <= at - episode["threshold_seconds"] <= 8.0, (got, episodes)
        assert all(by_id[i].evidence for i in firsts)
    finally:
        if child.poll() is None:
            child.kill()
        sub.close()


def test_a_scenario_without_a_violation_raises_no_alert(
    folder: Path, mosquitto_factory, tmp_path: Path
) -> None:
    truth, truth_path = scenario(folder, with_episodes=False)
    broker = mosquitto_factory()
    node = "node-quiet"
    cfg = write_config(folder, truth, tmp_path, node, broker)
    sub = Subscriber(broker.host, broker.port, f"streetorder/v1/{node}/#")
    child = spawn(cfg, truth_path)
    try:
        assert sub.wait_for(lambda: ended(sub, node), 180)
        child.send_signal(signal.SIGTERM)
        assert child.wait(30) == 0
        assert sub.payloads(topics.alerts(node)) == []
    finally:
        if child.poll() is None:
            child.kill()
        sub.close()
