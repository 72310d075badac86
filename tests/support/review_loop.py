"""The review loop end to end (issue 17), shared by ``tests/models/test_review_loop.py`` (one
scene) and ``scripts/bench_review_loop.py`` (several generator seeds).

A scene of the ``review`` scenario set (held-out domain: facades, angles and light the bundled
model was not trained on; a shop fitting stands in one frontage from the start, goods are put
out in front of the other shop at 40 s) is watched by a *live* camera of a real edge node
(``EdgeNode`` with the production runtime: ONNX detector, tracking, dwell, evidence, durable
outbox, MQTT, evidence upload, model switching) against a running platform (``ServerRuntime``
served by uvicorn, its MQTT ingest on a real Mosquitto). The loop:

1. the scene plays; its alerts reach the platform with their evidence;
2. a reviewer confirms the alerts that match a truth episode and rejects the others through the
   API, with the console's "no goods" reason (not "fixed structure": that reason masks the
   object on its camera, and the loop is to measure the *model*);
3. ``streetorder models export-reviews`` → ``models train`` from the bundled weights (a short
   stage: the export repeated beside a small synthetic set) → ``models export``;
4. the bundle is uploaded as a model version and assigned to the node, which downloads,
   verifies, warms and switches to it and acknowledges;
5. the same scene plays again; its alerts are counted the same way.

The zones count every detection (``only_new_objects: false``): with the scene reference on,
the reference would hide the fitting (it is part of the clear scene) and the loop would not
measure the model. The camera is live, not a file, so the second play is a new stretch of the
camera's stream (new episode ids) and not a replay of the first under the same ids. After each
play the camera shows a blank picture for ``BLANK_SECONDS``, so every episode of the play ends
(``clear_seconds`` is 10 s) and cannot run on into the next play.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from streetorder.config.loader import validate_mapping
from streetorder.contracts import Alert, CameraConfig, topics
from streetorder.edge.config import EdgeNodeConfig
from streetorder.edge.node import EdgeNode
from streetorder.edge.runtime.default import default_runtime
from streetorder.edge.sources import AvSource
from streetorder.i18n import text
from tests.support.polling import wait_for

REPO = Path(__file__).resolve().parents[2]
BUNDLED_PT = REPO / "models" / "bootstrap" / "streetorder-det.pt"
PASSWORD = "review-loop-password"
#: the console's reject reason for a detection of something that is not goods
NO_GOODS = text("reason.no_goods")
#: seconds of blank picture after each play: longer than clear_seconds (10 s) plus the 3 s a
#: missed track still occupies its zone
BLANK_SECONDS = 20
#: an alert matches a truth episode of its zone if its episode started this close to the truth
#: (or later, while the episode lasts)
START_TOLERANCE = 5.0
#: the fine-tune stage: small, from the bundled weights, the review export weighing more
FINETUNE = {
    "epochs": 6,
    "imgsz": 320,
    "batch": 8,
    "data_repeat": 16,
    "freeze": 10,
    "lr0": 0.002,
    "synth_train": 32,
    "synth_val": 8,
}


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 1800) -> str:
    """Run ``python -m streetorder ARGS`` as an operator would; its stdout (fails loudly)."""
    cmd = [sys.executable, "-m", "streetorder", *args]
    result = subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} failed: {result.stderr.strip()[-3000:]}")
    return result.stdout


# ----------------------------------------------------------------------------- scenes


@dataclass(frozen=True)
class Scene:
    seed: int
    video: Path
    camera: CameraConfig
    episodes: tuple[dict[str, Any], ...]  # the truth's violation episodes


def make_scene(cache: Path, seed: int, index: int) -> Scene:
    """The ``review`` scenario of ``seed`` (generated into ``cache`` unless there), watched by
    camera ``cam-NN`` whose zones count every detection and name shops of their own."""
    folder = cache / f"review-{seed}"
    if not (folder / "index.json").is_file():
        cli("models", "scenarios", "--set", "review", "--seed", str(seed), "--fps", "1",
            "--quiet", "--out", str(folder))  # fmt: skip
    truth = json.loads((folder / "fitting_then_goods.truth.json").read_text())
    config = yaml.safe_load((folder / truth["config"]).read_text())
    [cam] = config["cameras"]
    cam_id = f"cam-{index:02d}"
    zones = [
        {**z, "shop_id": f"{cam_id}-{z['shop_id']}",
         "rules": {**z["rules"], "only_new_objects": False}}
        for z in cam["zones"]
    ]  # fmt: skip
    camera = CameraConfig.model_validate(
        {"id": cam_id, "source": f"test://scene-{seed}", "analysis_interval_seconds": 1.0,
         "zones": zones}
    )  # fmt: skip
    return Scene(seed, folder / truth["video"], camera, tuple(truth["episodes"]))


def replayed(scene: Scene, out: Path, model: Path | None = None) -> dict[str, int]:
    """``streetorder replay`` of the scene's video as its camera sees it (every detection
    counts): {"false_alerts", "caught", "episodes"}."""
    from streetorder.cli import main

    folder = out / f"replay-{scene.seed}"
    folder.mkdir(parents=True, exist_ok=True)
    config = {
        "node_id": "review-replay",
        "cameras": [{**scene.camera.model_dump(mode="json"), "source": str(scene.video)}],
    }
    (folder / "fitting_then_goods.yaml").write_text(yaml.safe_dump(config))
    for name in ("fitting_then_goods.mp4", "fitting_then_goods.truth.json"):
        if not (folder / name).exists():
            (folder / name).symlink_to(scene.video.with_name(name))
    args = ["replay", str(folder / "fitting_then_goods.mp4"), "--truth", "auto", "--no-video",
            "--out", str(folder / "out")]  # fmt: skip
    if model is not None:
        args += ["--model", str(model)]
    assert main(args) == 0, f"replay of {scene.video} failed"
    metrics = json.loads((folder / "out" / "metrics.json").read_text())
    s = metrics["scenarios"]["fitting_then_goods"]
    return {"false_alerts": s["fp"], "caught": s["tp"], "episodes": s["tp"] + s["fn"]}


def scene_to_unlearn(cache: Path, seeds: tuple[int, ...]) -> Scene | None:
    """The first scene of ``seeds`` on which the bundled model raises a false alert and alerts
    every truth episode (what the loop is about), or None."""
    for seed in seeds:
        scene = make_scene(cache, seed, 1)
        r = replayed(scene, cache / "screen")
        if r["false_alerts"] >= 1 and r["caught"] == r["episodes"]:
            return scene
    return None


class SceneCamera:
    """A live camera (its clock is the node's, its episodes get random keys) on the street of a
    scene: each :meth:`play` queues the scene's video once, decoded by the edge's own
    ``AvSource``, followed by ``BLANK_SECONDS`` of a blank picture. Frames come as fast as the
    node analyses them, stamped with the video's time."""

    plays: dict[str, queue.SimpleQueue[Path]] = {}
    current: dict[str, SceneCamera] = {}  # per camera: the newest source opened
    origins: dict[str, list[float]] = {}  # per camera: POSIX time of each play's second 0
    done: dict[str, int] = {}  # per camera: plays whose every frame the worker has taken
    stop = threading.Event()

    def __init__(self, camera: CameraConfig) -> None:
        self.camera = camera
        self.current[camera.id] = self

    @classmethod
    def reset(cls) -> None:
        cls.plays, cls.current, cls.origins, cls.done = {}, {}, {}, {}
        cls.stop = threading.Event()

    @classmethod
    def play(cls, camera_id: str, video: Path) -> None:
        cls.plays.setdefault(camera_id, queue.SimpleQueue()).put(video)

    def frames(self) -> Iterator[tuple[np.ndarray, float]]:
        cid = self.camera.id
        script = self.plays.setdefault(cid, queue.SimpleQueue())
        opened, last = time.time(), -1.0
        # a worker restarted by a config push abandons its source while it waits here: the
        # newest source of the camera takes the plays
        while not self.stop.is_set() and self.current.get(cid) is self:
            try:
                video = script.get(timeout=0.2)
            except queue.Empty:
                continue
            start = max(time.time() - opened, last + 1.0)
            self.origins.setdefault(cid, []).append(opened + start)
            try:
                image = None
                for rel, image in AvSource(str(video), interval=1.0, name=cid).frames():
                    last = start + rel
                    yield image, last
                assert image is not None, f"{video}: no frames"
                blank = np.full_like(image, 96)
                for _ in range(BLANK_SECONDS):
                    last += 1.0
                    yield blank, last
            except GeneratorExit:  # the worker stopped mid-play: the next source plays it all
                self.origins[cid].pop()
                script.put(video)
                raise
            self.done[cid] = self.done.get(cid, 0) + 1  # the worker asked for the next frame

    def close(self) -> None:
        pass


class RecordingNode(EdgeNode):
    """The edge node, remembering the alerts its cameras emitted (to know when all arrived)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.emitted: list[Alert] = []
        self._emitted_lock = threading.Lock()

    def emit(self, camera: CameraConfig, messages: list) -> None:
        with self._emitted_lock:
            self.emitted += [m for m in messages if isinstance(m, Alert)]
        super().emit(camera, messages)


# ----------------------------------------------------------------------------- counting


@dataclass
class PlayResult:
    """One play of every scene: its first alerts, judged against the truth."""

    alerts: list[dict[str, Any]]  # AlertPublic rows, reminder 0
    verdicts: dict[str, str]  # alert_id → "true" | "false"
    false_alerts: dict[int, int] = field(default_factory=dict)  # per seed
    caught: dict[int, int] = field(default_factory=dict)  # truth episodes alerted, per seed
    episodes: dict[int, int] = field(default_factory=dict)  # truth episodes, per seed
    models: set[str] = field(default_factory=set)  # model versions that raised the alerts

    @property
    def false_total(self) -> int:
        return sum(self.false_alerts.values())

    @property
    def caught_total(self) -> int:
        return sum(self.caught.values())

    @property
    def episodes_total(self) -> int:
        return sum(self.episodes.values())


def judge(scene: Scene, origin: float, alerts: list[dict[str, Any]]) -> dict[str, int | None]:
    """Per alert id, the index of the truth episode it reports, or None (a false alert)."""
    out: dict[str, int | None] = {}
    for a in alerts:
        started = datetime.fromisoformat(a["episode_started_at"]).timestamp() - origin
        out[a["alert_id"]] = next(
            (
                i
                for i, e in enumerate(scene.episodes)
                if e["zone_id"] == a["zone_code"]
                and e["start_seconds"] - START_TOLERANCE <= started <= e["end_seconds"]
            ),
            None,
        )
    return out


# ----------------------------------------------------------------------------- the world


@dataclass
class LoopWorld:
    node: str
    url: str
    client: Any  # fastapi TestClient on the served app
    admin: dict[str, str]
    reviewer: dict[str, str]
    edge: RecordingNode
    scenes: list[Scene]
    work: Path
    log: Callable[[str], None] = print
    plays: int = 0
    seen: set[str] = field(default_factory=set)

    def api(self, method: str, path: str, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        r = self.client.request(method, f"/api/v1{path}", headers=headers or self.admin, **kw)
        assert r.status_code in (200, 201), f"{method} {path}: {r.status_code} {r.text[:500]}"
        return r.json()

    # -- playing ---------------------------------------------------------------------------

    def play(self, timeout: float = 600) -> PlayResult:
        """Play every scene once on its camera; wait for every alert the node raised to be on
        the platform; judge the new first alerts against the truth."""
        self.plays += 1
        started = time.monotonic()
        for scene in self.scenes:
            SceneCamera.play(scene.camera.id, scene.video)
        wait_for(
            lambda: all(SceneCamera.done.get(s.camera.id, 0) >= self.plays for s in self.scenes),
            timeout, "the scenes were not played",
        )  # fmt: skip
        self.log(f"play {self.plays}: analysed in {time.monotonic() - started:.0f} s")
        emitted = {a.alert_id for a in self.edge.emitted if a.reminder == 0} - self.seen

        def arrived() -> list[dict[str, Any]] | None:
            rows = self.alerts()
            ids = {a["alert_id"] for a in rows}
            return [a for a in rows if a["alert_id"] in emitted] if emitted <= ids else None

        alerts = wait_for(arrived, 120, "the alerts did not reach the platform") if emitted else []
        self.seen |= emitted
        result = PlayResult(alerts=alerts, verdicts={})
        for scene in self.scenes:
            origin = SceneCamera.origins[scene.camera.id][self.plays - 1]
            mine = [a for a in alerts if a["camera_code"] == scene.camera.id]
            matched = judge(scene, origin, mine)
            result.false_alerts[scene.seed] = sum(1 for m in matched.values() if m is None)
            result.caught[scene.seed] = len({m for m in matched.values() if m is not None})
            result.episodes[scene.seed] = len(scene.episodes)
            for alert_id, m in matched.items():
                result.verdicts[alert_id] = "false" if m is None else "true"
        result.models = {a["model_version"] for a in alerts}
        return result

    def alerts(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        while True:
            page = self.api("GET", "/alerts", params={"limit": 500, "offset": len(rows)})
            rows += page["data"]
            if not page["data"] or len(rows) >= page["count"]:
                return [a for a in rows if a["node_code"] == self.node and a["reminder"] == 0]

    # -- reviewing -------------------------------------------------------------------------

    def review(self, result: PlayResult) -> dict[str, int]:
        """The reviewer confirms the true alerts and rejects the false ones (API)."""
        counts = {"confirmed": 0, "rejected": 0}
        for a in result.alerts:
            assert a["case_id"] is not None, a
            if result.verdicts[a["alert_id"]] == "true":
                body = {"note": "goods left in the frontage"}
                self.api("POST", f"/cases/{a['case_id']}/confirm", self.reviewer, json=body)
                counts["confirmed"] += 1
            else:
                body = {"reason": NO_GOODS}
                self.api("POST", f"/cases/{a['case_id']}/reject", self.reviewer, json=body)
                counts["rejected"] += 1
        reviewed = counts["confirmed"] + counts["rejected"]
        wait_for(
            lambda: self.api("GET", "/reviews/frames", self.reviewer)["count"] >= reviewed,
            120, "the reviewed alerts' clean frames were not stored",
        )  # fmt: skip
        return counts

    # -- retraining and rolling out --------------------------------------------------------

    def retrain(self, version: str, settings: dict[str, Any] | None = None) -> Path:
        """export-reviews → train (from the bundled weights) → export; the bundle's folder."""
        s = {**FINETUNE, **(settings or {})}
        reviews, synth = self.work / "reviews", self.work / "synth"
        export = ["models", "export-reviews", "--out", str(reviews), "--platform", self.url,
                  "--user", "reviewer", "--force"]  # fmt: skip
        out = cli(*export, env={"STREETORDER_PASSWORD": PASSWORD})
        self.log(f"export-reviews: {out.strip().splitlines()[-1]}")
        if not (synth / "data.yaml").is_file():
            cli("models", "synth", "--out", str(synth), "--train", str(s["synth_train"]),
                "--val", str(s["synth_val"]), "--test", "0", "--workers", "1")  # fmt: skip
        runs = self.work / "runs"
        started = time.monotonic()
        train = [
            "models", "train", "--data", str(reviews / "data.yaml"),
            "--data-repeat", str(s["data_repeat"]), "--extra-data", str(synth / "data.yaml"),
            "--weights", str(BUNDLED_PT), "--imgsz", str(s["imgsz"]),
            "--epochs", str(s["epochs"]), "--batch", str(s["batch"]), "--workers", "0",
            "--optimizer", "AdamW", "--lr0", str(s["lr0"]), "--nbs", str(s["batch"]),
            "--warmup-epochs", "0", "--close-mosaic", str(s["epochs"]),
            "--freeze", str(s["freeze"]), "--project", str(runs), "--name", version,
        ]  # fmt: skip
        out = cli(*train)
        weights = Path(out.strip().splitlines()[-1].removeprefix("weights: "))
        last = weights.with_name("last.pt")  # the stage's end, not a val pick on a tiny val set
        self.log(f"fine-tune: {s['epochs']} epochs in {time.monotonic() - started:.0f} s")
        bundle = self.work / "bundles" / version
        cli("models", "export", "--weights", str(last), "--out", str(bundle),
            "--imgsz", "416x256", "--version", version)  # fmt: skip
        return bundle

    def roll_out(self, bundle: Path) -> str:
        """Upload the bundle, assign it to the whole node, wait for the node to apply it."""
        files = {
            "model": ("streetorder-det.onnx", (bundle / "streetorder-det.onnx").read_bytes()),
            "manifest": ("manifest.json", (bundle / "manifest.json").read_bytes()),
        }
        version = self.api("POST", "/models", files=files)
        body = {"node": self.node, "version_id": version["id"]}
        revision = self.api("POST", "/models/assignments", json=body)["config_revision"]
        answer = self.ack(revision)
        assert answer["ack_accepted"] is True, answer
        return str(version["version"])

    def ack(self, revision: int) -> dict[str, Any]:
        def acked() -> dict[str, Any] | None:
            history = self.api("GET", f"/nodes/{self.node}/config")
            mine = [h for h in history if h["revision"] == revision]
            return mine[0] if mine and mine[0]["ack_accepted"] is not None else None

        return wait_for(acked, 120, f"config revision {revision} was not acknowledged")


@contextmanager
def loop_world(
    database_url: str, work: Path, broker: Any, scenes: list[Scene],
    log: Callable[[str], None] = print,
) -> Iterator[LoopWorld]:  # fmt: skip
    """A migrated, seeded platform served on a free port with its ingest on ``broker``, and a
    running edge node whose cameras watch ``scenes`` with the bundled model."""
    from fastapi.testclient import TestClient

    from streetorder.platform.db import Database
    from streetorder.platform.services.edge_config import build
    from streetorder.platform.services.registry import get_node
    from streetorder.platform.services.seed import seed_demo
    from streetorder.platform.settings import settings_from_mapping
    from streetorder.server.migrate import upgrade
    from streetorder.server.runtime import ServerRuntime
    from tests.web.browser_support import serve

    node = f"rl-{uuid.uuid4().hex[:8]}"
    cameras = tuple(s.camera for s in scenes)
    upgrade(database_url)
    settings = settings_from_mapping(
        {"environment": "test", "database_url": database_url, "secret_key": "r" * 40,
         "evidence": {"dir": str(work / "evidence")}, "auth": {"bcrypt_rounds": 4},
         "broker": {"host": broker.host, "port": broker.port},
         "ingest": {"share_group": f"g{uuid.uuid4().hex[:8]}", "batch_wait_ms": 10}},
        "review loop settings",
    )  # fmt: skip
    db = Database(database_url)
    with db.session() as session:
        report = seed_demo(session, node_code=node, cameras=cameras, password=PASSWORD,
                           bcrypt_rounds=4, node_api_key=f"sok_{node}-key-0123456789")  # fmt: skip
        # the node runs its cameras as the platform registered them (address, zone names), so a
        # config push does not restart them
        node_row = get_node(session, code=node)
        cameras = build(node_row, revision=1, now=datetime.now(UTC)).cameras
    db.dispose()
    SceneCamera.reset()
    server = ServerRuntime(settings, jobs=False)
    app = server.start()
    edge: RecordingNode | None = None
    thread: threading.Thread | None = None
    try:
        with serve(app) as url:
            client = TestClient(app)

            def login(user: str) -> dict[str, str]:
                body = {"username": user, "password": PASSWORD}
                r = client.post("/api/v1/auth/login", json=body)
                assert r.status_code == 200, r.text
                return {"Authorization": f"Bearer {r.json()['access_token']}"}

            data = {
                "node_id": node,
                "broker": {"host": broker.host, "port": broker.port, "keepalive_seconds": 5},
                "platform": {"url": url, "token": report.node_api_key},
                # a loaded CI machine: the loop is not about the latency budget
                "model": {"threads": 1, "latency_budget_ms": 2000},
                "storage": {"dir": str(work / "edge")},
                "heartbeat_seconds": 1,
                "camera_health": {"frozen_seconds": None},
                "cameras": [c.model_dump(mode="json") for c in cameras],
            }
            config = validate_mapping(EdgeNodeConfig, data, "review loop node")

            def runtime(cfg: EdgeNodeConfig, base_dir: Path):
                rt = default_runtime(cfg, base_dir)
                rt.open_source = SceneCamera
                return rt

            edge = RecordingNode(config, base_dir=work, runtime=runtime, backoff_cap=0.5)
            thread = threading.Thread(target=edge.run, name="edge-node", daemon=True)
            thread.start()
            wait_for(lambda: len(edge.workers) == len(cameras), 60, "the cameras did not start")
            world = LoopWorld(node, url, client, login("admin"), login("reviewer"), edge,
                              list(scenes), work, log)  # fmt: skip
            first = world.api("POST", f"/nodes/{node}/config/push")["revision"]
            assert world.ack(first)["ack_accepted"] is True
            yield world
    finally:
        SceneCamera.stop.set()
        if edge is not None and thread is not None:
            edge.stop_event.set()
            thread.join(30)
        if server.publisher is not None:  # a shared broker: no retained config left behind
            server.publisher.publish(topics.config(node), b"", qos=1, retain=True)
        server.stop()
