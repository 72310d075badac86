"""The real pipeline under ``streetorder edge run``: a node SIGKILLed mid-video and restarted
sends exactly the alert ids an uninterrupted run sends (file cameras keep their clock)."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from streetorder.contracts import decode, topics
from tests.edge.conftest import synthetic_scene
from tests.edge.mqtt_support import Subscriber

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]
QUADRANTS = {
    "z1": [[0, 0], [0.5, 0], [0.5, 0.5], [0, 0.5]],
    "z2": [[0.5, 0], [1, 0], [1, 0.5], [0.5, 0.5]],
    "z3": [[0, 0.5], [0.5, 0.5], [0.5, 1], [0, 1]],
    "z4": [[0.5, 0.5], [1, 0.5], [1, 1], [0.5, 1]],
}


def write_video(path: Path, seconds: int, fps: int = 5) -> None:
    av = pytest.importorskip("av")
    scenes = [synthetic_scene(640, 360, seed=s, n=10) for s in range(3)]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height = 640, 360
        stream.pix_fmt = "yuv420p"
        stream.options = {"g": str(fps), "crf": "20"}
        for i in range(seconds * fps):
            frame = scenes[(i // (fps * 8)) % len(scenes)]  # the scene changes every 8 s
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="bgr24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def node_yaml(path: Path, node: str, broker, video: Path, model: Path, realtime: bool) -> Path:
    zones = [
        {
            "id": zid,
            "shop_id": f"shop-{zid}",
            "polygon": poly,
            "rules": {
                "dwell_seconds": 2,
                "clear_seconds": 2,
                "grace_seconds": 1,
                "min_score": 0.25,
                "min_inside_share": 0.3,
                "classes": ["goods", "rack", "table", "stall", "umbrella", "person"],
            },
        }
        for zid, poly in QUADRANTS.items()
    ]
    config = {
        "node_id": node,
        "broker": {"host": broker.host, "port": broker.port, "keepalive_seconds": 5},
        "model": {"path": str(model), "threads": 1},
        "storage": {"dir": str(path.parent / "var"), "clip_seconds_after": 0},
        "heartbeat_seconds": 1,
        "realtime_files": realtime,
        "cameras": [
            {"id": "cam-01", "source": str(video), "analysis_interval_seconds": 1.0, "zones": zones}
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config))
    return path


def ended(sub: Subscriber, node: str) -> bool:
    return any(
        c.error == "source ended"
        for p in sub.payloads(topics.stats(node))
        for c in decode(p).cameras  # type: ignore[union-attr]
    )


def run_edge(cfg: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "streetorder", "edge", "run", "--config", str(cfg)]
    return subprocess.Popen(cmd, cwd=REPO)


def test_a_killed_and_restarted_node_sends_the_same_alert_ids_as_an_uninterrupted_one(
    export_yolo, mosquitto_factory, tmp_path: Path
) -> None:
    model = export_yolo(imgsz=320)
    video = tmp_path / "street.mp4"
    write_video(video, seconds=24)
    broker = mosquitto_factory()
    sub = Subscriber(broker.host, broker.port, "streetorder/v1/#")
    interrupted = node_yaml(tmp_path / "b" / "node.yaml", "node-b", broker, video, model, True)
    child = run_edge(interrupted)
    try:
        # real-time pace: kill it once the first alert is out, in the middle of the video
        assert sub.wait_for(lambda: sub.payloads(topics.alerts("node-b")), 60), "no alert"
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        child = run_edge(interrupted)
        assert sub.wait_for(lambda: ended(sub, "node-b"), 90)
        child.send_signal(signal.SIGTERM)
        assert child.wait(30) == 0
        # the reference: one uninterrupted run of the same file on the same clock
        reference = node_yaml(tmp_path / "a" / "node.yaml", "node-b", broker, video, model, False)
        anchors = json.loads((tmp_path / "b" / "var" / "file_anchors.json").read_text())
        (tmp_path / "a" / "var").mkdir(parents=True)
        shutil.copy(tmp_path / "b" / "var" / "file_anchors.json", tmp_path / "a" / "var")
        got = set(sub.alert_ids(topics.alerts("node-b")))
        sub.messages.clear()
        child = run_edge(reference)
        assert sub.wait_for(lambda: ended(sub, "node-b"), 90)
        child.send_signal(signal.SIGTERM)
        assert child.wait(30) == 0
        want = set(sub.alert_ids(topics.alerts("node-b")))
        assert len(anchors) == 1 and len(want) >= 2, "the reference run raised too few alerts"
        assert got == want  # no new ids from the restart, none missing
    finally:
        if child.poll() is None:
            child.kill()
        sub.close()
