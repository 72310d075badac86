"""The demo's edge node: every scenario video is one camera of one node, replayed as fast as
the machine allows through the edge pipeline, with alerts published over MQTT via the durable
outbox and evidence uploaded to the platform."""

from __future__ import annotations

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


def run(footage, config: EdgeNodeConfig, out: Path) -> tuple[list, dict]:
    """Replay each video through the pipeline; return the alerts and the replay metrics."""
    from tqdm import tqdm

    from streetorder.contracts import Alert
    from streetorder.edge.detect import OnnxDetector
    from streetorder.edge.replay.publish import OutboxPublisher
    from streetorder.edge.replay.runner import replay_video, write_alerts, write_metrics
    from streetorder.edge.replay.truth import load_truth

    out.mkdir(parents=True, exist_ok=True)
    (out / "alerts.jsonl").write_text("", encoding="utf-8")
    detector = OnnxDetector(
        config.model.path,
        threads=config.model.threads,
        score_threshold=config.model.score_threshold,
        iou_threshold=config.model.iou_threshold,
    )
    publisher = OutboxPublisher(config, Path(config.storage.dir), out / "evidence")
    results = []
    try:
        for scenario in footage:
            truth = load_truth(scenario.truth)
            cam = camera_id(scenario.name)
            truth = truth.model_copy(
                update={
                    "episodes": tuple(
                        e.model_copy(update={"camera_id": cam}) for e in truth.episodes
                    )
                }
            )
            with tqdm(total=truth.duration_seconds or None, desc=scenario.name, unit="s") as bar:

                def advance(t: float, bar=bar) -> None:
                    bar.update(max(0.0, round(t - bar.n, 3)))

                result = replay_video(
                    scenario.video,
                    config,
                    detector,
                    out,
                    truth=truth,
                    sink=publisher,
                    on_frame=advance,
                )
            write_alerts(out / "alerts.jsonl", result.messages)
            results.append(result)
    finally:
        left = publisher.close(timeout=60)
    if left:
        raise StreetorderError(f"{left} message(s) were not acknowledged by the broker")
    metrics = write_metrics(out / "metrics.json", results)
    alerts = [m for r in results for m in r.messages if isinstance(m, Alert)]
    return alerts, metrics
