"""The demo's edge node: every scenario video is one camera of one node, all played at their
real pace at once through the edge pipeline, stamped with the run's clock, with alerts published
over MQTT via the durable outbox and evidence uploaded to the platform."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

from streetorder.edge.config import EdgeNodeConfig, load_edge_config
from streetorder.errors import StreetorderError


def camera_id(scenario_name: str) -> str:
    return f"cam-{scenario_name}"[:64]


def node_config(footage, *, node_id: str, broker, token: str, storage: Path) -> EdgeNodeConfig:
    """One node whose cameras are the scenarios' cameras, renamed so that ids stay unique."""
    cameras = []
    template: EdgeNodeConfig | None = None
    for scenario in footage:
        config = load_edge_config(scenario.config)
        template = template or config
        camera = config.cameras[0]
        cameras.append(
            camera.model_copy(
                update={
                    "id": camera_id(scenario.name),
                    "source": str(scenario.video.resolve()),
                    "zones": tuple(
                        z.model_copy(update={"shop_id": f"{scenario.name}-{z.shop_id}"[:64]})
                        for z in camera.zones
                    ),
                }
            )
        )
    if template is None:
        raise StreetorderError("no footage to replay")
    return template.model_copy(
        update={
            "node_id": node_id,
            "cameras": tuple(cameras),
            "broker": broker.config(client_id=f"{node_id}-demo"),
            "platform": template.platform.model_copy(update={"token": token}),
            "storage": template.storage.model_copy(update={"dir": storage}),
        }
    )


def run(footage, config: EdgeNodeConfig, out: Path, started_at: datetime) -> tuple[list, dict]:
    """Play every camera's video at its real pace, all cameras at once, as a node watching
    live streams since ``started_at`` (the frames' time stamps); return the alerts and the
    replay metrics against the ground truth."""
    from tqdm import tqdm

    from streetorder.contracts import Alert
    from streetorder.edge.detect import OnnxDetector
    from streetorder.edge.replay.publish import OutboxPublisher
    from streetorder.edge.replay.runner import write_alerts, write_metrics

    out.mkdir(parents=True, exist_ok=True)
    (out / "alerts.jsonl").write_text("", encoding="utf-8")
    detector = LockedDetector(
        OnnxDetector(
            config.model.path,
            threads=config.model.threads,
            score_threshold=config.model.score_threshold,
            iou_threshold=config.model.iou_threshold,
            cross_class_iou=config.model.cross_class_iou,
        )
    )
    publisher = OutboxPublisher(config, Path(config.storage.dir), out / "evidence")
    bars = [
        tqdm(total=_truth(s, started_at).duration_seconds, desc=s.name, unit="s", position=i)
        for i, s in enumerate(footage)
    ]
    try:
        with ThreadPoolExecutor(len(footage), thread_name_prefix="demo-camera") as pool:
            jobs = [
                pool.submit(_watch, s, config, detector, out, started_at, publisher, bar)
                for s, bar in zip(footage, bars, strict=True)
            ]
            results = [job.result() for job in jobs]
    finally:
        for bar in bars:
            bar.close()
        left = publisher.close(timeout=60)
    if left:
        raise StreetorderError(f"{left} message(s) were not acknowledged by the broker")
    for result in results:
        write_alerts(out / "alerts.jsonl", result.messages)
    metrics = write_metrics(out / "metrics.json", results)
    alerts = [m for r in results for m in r.messages if isinstance(m, Alert)]
    return alerts, metrics


def _truth(scenario, started_at: datetime):
    """The scenario's ground truth on this run's clock, camera id and name."""
    from streetorder.edge.replay.truth import load_truth

    truth = load_truth(scenario.truth)
    cam = camera_id(scenario.name)
    episodes = tuple(e.model_copy(update={"camera_id": cam}) for e in truth.episodes)
    return truth.model_copy(
        update={"episodes": episodes, "started_at": started_at, "scenario": scenario.name}
    )


def _watch(scenario, config, detector, out: Path, started_at: datetime, sink, bar):
    """One camera: its video in real time through the edge pipeline."""
    from streetorder.edge.replay.runner import replay_video

    def advance(t: float) -> None:
        bar.update(max(0.0, round(t - bar.n, 3)))

    # this camera alone: several shops' videos share a file name (goods_left.mp4)
    camera = next(c for c in config.cameras if c.id == camera_id(scenario.name))
    result = replay_video(
        scenario.video,
        config.model_copy(update={"cameras": (camera,)}),
        detector,
        out,
        truth=_truth(scenario, started_at),
        realtime=True,
        sink=sink,
        on_frame=advance,
    )
    bar.update(bar.total - bar.n)  # the last frame starts one frame before the end
    bar.close()
    return result


class LockedDetector:
    """One ONNX session for all cameras, one frame at a time (as the node shares it)."""

    def __init__(self, detector) -> None:
        self._detector = detector
        self._lock = threading.Lock()

    def __call__(self, *args, **kwargs):
        with self._lock:
            return self._detector(*args, **kwargs)

    def __getattr__(self, name: str):
        return getattr(self._detector, name)
