"""``streetorder edge run`` on a generated scenario video with the bundled model, as a process:
SIGKILLed mid-run and restarted, the broker restarted, then SIGTERM. Every episode of the
truth arrives as exactly one alert id at a subscriber, and a restart gives the same ids."""

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
from streetorder.contracts.model_bundle import bundled_model_path
from tests.edge.mqtt_support import Subscriber

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]


def _bundled_model() -> Path:
    path = bundled_model_path()
    if not path.is_file():
        pytest.skip(f"bundled model {path} is not committed yet")
    return path


def _violation_scenario(scenario_dir: Path) -> dict:
    truths = [json.loads(p.read_text()) for p in sorted(scenario_dir.glob("*.truth.json"))]
    with_episodes = [t for t in truths if t["episodes"]]
    assert with_episodes, f"no scenario with a violation in {scenario_dir}"
    return max(with_episodes, key=lambda t: len(t["episodes"]))


def test_edge_run_on_a_scenario_survives_sigkill_and_a_broker_restart(
    request: pytest.FixtureRequest, mosquitto_factory, tmp_path: Path
) -> None:
    _bundled_model()
    scenario_dir: Path = request.getfixturevalue("scenario_dir")
    truth = _violation_scenario(scenario_dir)
    broker = mosquitto_factory()
    node = "node-scenario"
    config = yaml.safe_load((scenario_dir / truth["config"]).read_text())
    for cam in config["cameras"]:
        if "://" not in cam["source"] and not Path(cam["source"]).is_absolute():
            cam["source"] = str(scenario_dir / cam["source"])
        if "image" in cam.get("reference", {}):  # the installer's snapshot, beside the video
            cam["reference"]["image"] = str(scenario_dir / cam["reference"]["image"])
    config.update(
        node_id=node,
        broker={"host": broker.host, "port": broker.port, "keepalive_seconds": 5},
        storage={**config.get("storage", {}), "dir": str(tmp_path / "var")},
        realtime_files=False,
        heartbeat_seconds=1,
    )
    config.pop("platform", None)
    cfg = tmp_path / "node.yaml"
    cfg.write_text(yaml.safe_dump(config))
    # the platform's stand-in: every topic the node sends messages to the platform on (a broker
    # answers "no matching subscribers" otherwise, and the node keeps such a message queued)
    sub = Subscriber(
        broker.host,
        broker.port,
        topics.alerts(node),
        topics.episodes(node),
        topics.status(node),
        topics.stats(node),
    )
    cmd = [sys.executable, "-m", "streetorder", "edge", "run", "--config", str(cfg)]

    def alert_ids() -> list[str]:
        return sub.alert_ids(topics.alerts(node))

    def analysed() -> int:
        beats = [decode(p) for p in sub.payloads(topics.stats(node))]
        return sum(1 for b in beats for c in b.cameras if c.state == "online")  # type: ignore[union-attr]

    child = subprocess.Popen(cmd, cwd=REPO)
    try:
        assert sub.wait_for(lambda: analysed() >= 2, 120), "the node never reported online"
        rejoined = sub.subscriptions
        broker.stop()
        time.sleep(1.0)
        broker.start()
        assert sub.wait_for(lambda: sub.subscriptions > rejoined)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        before = set(alert_ids())
        sub.messages.clear()  # from here on: what the restarted node says
        child = subprocess.Popen(cmd, cwd=REPO)
        # the restarted node is up (and handles SIGTERM) once it says "online" again; a stats
        # message still in flight from the killed one must not stand in for it
        assert sub.wait_for(
            lambda: any(
                decode(p).state == "online"  # type: ignore[union-attr]
                for p in sub.payloads(topics.status(node))
            ),
            120,
        ), "the restarted node never came online"
        expected = len(truth["episodes"])
        # the file ends: its camera goes offline with "source ended"; all alerts are out by then
        assert sub.wait_for(
            lambda: any(
                c.error == "source ended"
                for p in sub.payloads(topics.stats(node))
                for c in decode(p).cameras  # type: ignore[union-attr]
            ),
            300,
        ), "the scenario video never finished"
        assert sub.wait_for(lambda: len(set(alert_ids())) >= expected, 20)
        alerts = [decode(p) for p in sub.payloads(topics.alerts(node))]  # re-sent after restart
        firsts = {a.alert_id for a in alerts if a.reminder == 0}  # type: ignore[union-attr]
        # one id per episode: the re-analysed part after the restart gave the same ids again
        assert len(firsts) == expected, (sorted(firsts), truth["episodes"])
        assert before <= firsts and len(before | firsts) == expected
        child.send_signal(signal.SIGTERM)
        assert child.wait(30) == 0
    finally:
        if child.poll() is None:
            child.kill()
        sub.close()
