"""Replay recorded videos through the edge pipeline: alerts, evidence, annotated video, metrics."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from streetorder.contracts import Alert, CameraConfig, EpisodeEnd, encode
from streetorder.edge.config import EdgeNodeConfig
from streetorder.edge.episode_id import FootageKey
from streetorder.edge.evidence import Mp4Writer
from streetorder.edge.pipeline import CameraPipeline, Detector
from streetorder.edge.replay.metrics import AlertPoint, Score, match
from streetorder.edge.replay.truth import Truth
from streetorder.edge.sources import AvSource

log = logging.getLogger(__name__)
Message = Alert | EpisodeEnd
Sink = Callable[[Message], None]


@dataclass
class ReplayResult:
    scenario: str
    messages: list[Message]
    alerts: list[AlertPoint]
    frames: int
    video_seconds: float
    wall_seconds: float
    score: Score | None = None
    violations: int | None = None


def pick_camera(config: EdgeNodeConfig, video: Path) -> CameraConfig:
    """The camera whose source names this video, else the only/first camera; source = video."""
    chosen = next(
        (c for c in config.cameras if Path(c.source).name == video.name), config.cameras[0]
    )
    return chosen.model_copy(update={"source": str(video)})


def replay_video(
    video: Path,
    config: EdgeNodeConfig,
    detector: Detector,
    out_dir: Path,
    *,
    truth: Truth | None = None,
    realtime: bool = False,
    annotated_video: bool = True,
    sink: Sink | None = None,
    on_frame: Callable[[float], None] | None = None,
    base_dir: Path | None = None,
) -> ReplayResult:
    """Run one video through a fresh :class:`CameraPipeline`; write evidence and annotated video.

    Frame times are ``truth.started_at`` (or now) plus the video time, so alarm schedules and
    ids behave as they would have live; the video's content digest is in every alert id, so
    other videos on the same clock never share an id (nor evidence files). Relative paths in
    the camera config (a reference image) start at ``base_dir`` (default: the video's folder).
    """
    camera = pick_camera(config, video)
    started_at = truth.started_at if truth else datetime.now(UTC).replace(microsecond=0)
    pipeline = CameraPipeline(
        config.node_id,
        camera,
        detector,
        out_dir / "evidence",
        config.timezone,
        clip_before=config.storage.clip_seconds_before,
        clip_after=config.storage.clip_seconds_after,
        episode_keys=FootageKey(video),
        base_dir=base_dir or video.parent,
    )
    source = AvSource(
        str(video),
        camera.analysis_interval_seconds,
        camera.keyframes_only,
        name=camera.id,
        decoder_threads=0,  # one file as fast as possible
    )
    writer = (
        Mp4Writer(out_dir / f"{video.stem}.annotated.mp4", fps=1 / camera.analysis_interval_seconds)
        if annotated_video
        else None
    )
    messages: list[Message] = []
    frames, video_t = 0, 0.0
    wall0 = time.monotonic()

    def emit(batch: list[Message]) -> None:
        for message in batch:
            messages.append(message)
            if sink is not None:
                sink(message)

    try:
        for t, frame in source.frames():
            if realtime:
                ahead = wall0 + t - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
            when = started_at + timedelta(seconds=t)
            set_time = getattr(detector, "set_time", None)
            if set_time is not None:  # a ground-truth stand-in detector
                set_time(t)
            emit(pipeline.process(frame, when))
            if writer is not None:
                writer.write(pipeline.annotate(frame, when), t)
            frames, video_t = frames + 1, t
            if on_frame is not None:
                on_frame(t)
        emit(pipeline.flush())
    finally:
        source.close()
        if writer is not None:
            writer.close()
    alerts = [
        AlertPoint(
            m.camera_id,
            m.zone_id,
            (m.threshold_crossed_at - started_at).total_seconds(),
            m.alert_id,
        )
        for m in messages
        if isinstance(m, Alert) and m.reminder == 0
    ]
    result = ReplayResult(
        scenario=truth.scenario if truth else video.stem,
        messages=messages,
        alerts=alerts,
        frames=frames,
        video_seconds=video_t,
        wall_seconds=time.monotonic() - wall0,
    )
    if truth is not None:
        result.score = match(alerts, truth.episodes)
        result.violations = len(truth.episodes)
    return result


def write_alerts(path: Path, messages: list[Message]) -> None:
    with path.open("a", encoding="utf-8") as fh:
        for m in messages:
            fh.write(encode(m).decode() + "\n")


def write_metrics(path: Path, results: list[ReplayResult]) -> dict[str, object]:
    from streetorder.edge.replay.metrics import summarise

    scored = {r.scenario: r.score for r in results if r.score is not None}
    body: dict[str, object] = {}
    if scored:
        violations = {r.scenario: r.violations or 0 for r in results if r.score is not None}
        body.update(summarise(scored, violations))  # type: ignore[arg-type]
    body["runs"] = {
        r.scenario: {
            "frames": r.frames,
            "video_seconds": round(r.video_seconds, 2),
            "wall_seconds": round(r.wall_seconds, 2),
            "analysed_fps": round(r.frames / r.wall_seconds, 2) if r.wall_seconds else None,
            "alerts": sum(1 for m in r.messages if isinstance(m, Alert)),
            "episode_ends": sum(1 for m in r.messages if isinstance(m, EpisodeEnd)),
        }
        for r in results
    }
    path.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    return body
