"""One episode, one alert across a crash: a node on a *live* camera (wall-clock frame times, no
stable file clock) SIGKILLed in the middle of an alerted episode and restarted raises no second
alert for it; the episode goes on (its reminder comes on schedule, with the same start)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from streetorder.contracts import Alert, decode, topics
from tests.edge.mqtt_support import Subscriber

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]
DWELL, REMINDER = 5.0, 8.0


@pytest.fixture
def folder(request: pytest.FixtureRequest) -> Path:
    pytest.importorskip("streetorder.models.synth.scenarios")
    return request.getfixturevalue("scenario_dir")


def write_config(folder: Path, tmp: Path, node: str, broker) -> tuple[Path, Path, dict]:
    truth_path = folder / "goods_left.truth.json"
    truth = json.loads(truth_path.read_text())
    config = yaml.safe_load((folder / truth["config"]).read_text())
    for cam in config["cameras"]:
        cam["source"] = f"live://{folder / cam['source']}"
        for zone in cam["zones"]:  # short enough for a test; clear + grace = 30 s
            zone["rules"].update(dwell_seconds=DWELL, reminder_seconds=REMINDER)
    config.update(
        node_id=node,
        broker={"host": broker.host, "port": broker.port, "keepalive_seconds": 5},
        storage={"dir": str(tmp / "var"), "clip_seconds_before": 1, "clip_seconds_after": 0},
        heartbeat_seconds=1,
    )
    path = tmp / "node.yaml"
    path.write_text(yaml.safe_dump(config))
    return path, truth_path, truth


def spawn(cfg: Path, truth: Path, t0: float) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "tests.edge.live_child", str(cfg), str(truth), str(t0)]
    return subprocess.Popen(cmd, cwd=REPO)


def alerts(sub: Subscriber, node: str) -> list[Alert]:
    return [decode(p) for p in sub.payloads(topics.alerts(node))]  # type: ignore[misc]


def online_since(sub: Subscriber, node: str, mark: int) -> bool:
    """A heartbeat after message ``mark`` shows the camera analysing frames."""
    beats = [p for t, p, _ in sub.messages[mark:] if t == topics.stats(node)]
    return any(c.state == "online" for p in beats for c in decode(p).cameras)  # type: ignore[union-attr]


def test_a_node_killed_mid_episode_on_a_live_camera_raises_no_second_alert(
    folder: Path, mosquitto_factory, tmp_path: Path
) -> None:
    broker = mosquitto_factory()
    node = "node-live"
    cfg, truth_path, truth = write_config(folder, tmp_path, node, broker)
    (episode,) = truth["episodes"]  # goods put out at ~9 s and left to the end of the video
    t0 = time.time() - (episode["start_seconds"] - 3)  # join the stream 3 s before the goods
    sub = Subscriber(broker.host, broker.port, f"streetorder/v1/{node}/#")
    child = spawn(cfg, truth_path, t0)
    try:
        assert sub.wait_for(lambda: alerts(sub, node), 60), "no first alert"
        child.send_signal(signal.SIGKILL)  # the goods are still standing
        child.wait(10)
        (first,) = alerts(sub, node)
        assert first.zone_id == episode["zone_id"] and first.reminder == 0
        assert time.time() - t0 < episode["end_seconds"] - 20, "the video is too short"
        mark = len(sub.messages)
        child = spawn(cfg, truth_path, t0)
        assert sub.wait_for(lambda: online_since(sub, node, mark), 60), "not back online"
        back = time.time()
        # a fresh episode would alert one dwell time after the restart: wait past that, and
        # for the old episode's reminder
        reminded = lambda: any(a.reminder == 1 for a in alerts(sub, node))  # noqa: E731
        assert sub.wait_for(reminded, 30), "no reminder after the restart"
        time.sleep(max(0.0, back + DWELL + 3 - time.time()))
        child.send_signal(signal.SIGTERM)
        assert child.wait(30) == 0
        got = alerts(sub, node)
        assert {a.alert_id for a in got if a.reminder == 0} == {first.alert_id}
        assert {a.episode_started_at for a in got} == {first.episode_started_at}
        reminder = next(a for a in got if a.reminder == 1)
        assert (reminder.threshold_crossed_at - first.threshold_crossed_at).total_seconds() >= (
            REMINDER - 0.5
        )
        assert (tmp_path / "var" / "episodes.db").exists()
    finally:
        if child.poll() is None:
            child.kill()
        sub.close()
