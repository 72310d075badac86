"""Replay: event-level metrics, the runner on a synthetic video, and the command line."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml

from streetorder.cli import main
from streetorder.edge.config import EdgeNodeConfig
from streetorder.edge.evidence import Mp4Writer
from streetorder.edge.replay.metrics import AlertPoint, match, summarise
from streetorder.edge.replay.runner import replay_video, write_metrics
from streetorder.edge.replay.truth import Truth, TruthEpisode, load_truth
from streetorder.errors import StreetorderError
from tests.edge.blocks import BlockDetector, scene


def ep(start: float, end: float, dwell: float = 20, zone: str = "z1") -> TruthEpisode:
    return TruthEpisode(
        camera_id="cam-01",
        zone_id=zone,
        start_seconds=start,
        end_seconds=end,
        threshold_seconds=start + dwell,
    )


@pytest.mark.parametrize(
    ("alerts", "episodes", "tp", "fp", "fn"),
    [
        ([22.0], [ep(0, 60)], 1, 0, 0),
        ([22.0, 40.0], [ep(0, 60)], 1, 1, 0),  # a split episode: the second alert is a FP
        ([], [ep(0, 60)], 0, 0, 1),
        ([80.0], [ep(0, 60)], 0, 1, 1),  # outside the episode (+5 s tolerance)
        ([63.0], [ep(0, 60)], 1, 0, 0),  # within tolerance
        ([25.0, 125.0], [ep(0, 60), ep(100, 160)], 2, 0, 0),
        ([25.0], [], 0, 1, 0),
    ],
)
def test_event_matching(alerts, episodes, tp, fp, fn) -> None:
    score = match([AlertPoint("cam-01", "z1", t) for t in alerts], episodes)
    assert (score.tp, score.fp, score.fn) == (tp, fp, fn)


def test_other_zone_does_not_match_and_delay_is_measured() -> None:
    score = match([AlertPoint("cam-01", "z2", 21)], [ep(0, 60)])
    assert (score.tp, score.fp, score.fn) == (0, 1, 1)
    score = match([AlertPoint("cam-01", "z1", 23.5)], [ep(0, 60)])
    assert score.delays == [3.5] and score.f1 == 1.0


def test_summary_counts_alerts_on_quiet_scenarios() -> None:
    quiet = match([AlertPoint("cam-01", "z1", 5)], [])
    busy = match([AlertPoint("cam-01", "z1", 21)], [ep(0, 60)])
    body = summarise({"quiet": quiet, "busy": busy}, {"quiet": 0, "busy": 1})
    assert body["alerts_on_no_violation_scenarios"] == 1
    assert body["overall"]["precision"] == 0.5 and body["overall"]["recall"] == 1.0


GOODS = ("goods", (100, 200, 160, 260))


def synthetic_scenario(
    folder: Path, seconds: int = 70, present=(10, 50), goods=GOODS
) -> tuple[Path, Path, Path]:
    """A 2 fps video with ``goods`` in the zone during ``present``, plus its config and truth."""
    folder.mkdir(parents=True, exist_ok=True)
    video = folder / "goods_left.mp4"
    with Mp4Writer(video, fps=2, gop=4, crf=18) as w:
        for i in range(seconds * 2):
            t = i / 2
            objects = [goods] if present and present[0] <= t < present[1] else []
            w.write(scene(objects, (640, 360)), t)
    config = {
        "node_id": "node-1",
        "timezone": "Asia/Shanghai",
        "storage": {"dir": "var", "clip_seconds_before": 2, "clip_seconds_after": 1},
        "cameras": [
            {
                "id": "cam-01",
                "source": "goods_left.mp4",
                "analysis_interval_seconds": 1.0,
                "zones": [
                    {
                        "id": "z1",
                        "shop_id": "shop-1",
                        "polygon": [[0, 0.4], [0.45, 0.4], [0.45, 1], [0, 1]],
                        "rules": {"dwell_seconds": 20, "clear_seconds": 8, "grace_seconds": 4},
                    }
                ],
            }
        ],
    }
    (folder / "goods_left.yaml").write_text(yaml.safe_dump(config))
    episodes = []
    if present:
        episodes.append(
            {
                "camera_id": "cam-01",
                "zone_id": "z1",
                "shop_id": "shop-1",
                "start_seconds": present[0],
                "end_seconds": present[1],
                "threshold_seconds": present[0] + 20,
                "classes": ["goods"],
            }
        )
    truth = {
        "version": 1,
        "scenario": "goods_left",
        "video": video.name,
        "config": "goods_left.yaml",
        "fps": 2.0,
        "frame_size": [640, 360],
        "duration_seconds": seconds,
        "started_at": "2026-11-20T10:00:00+08:00",
        "episodes": episodes,
        "frames": [
            {
                "t": i / 2,
                "objects": [{"object_id": 1, "class_name": "goods", "box_xyxy": list(goods[1])}]
                if present and present[0] <= i / 2 < present[1]
                else [],
            }
            for i in range(seconds * 2)
        ],
    }
    (folder / "goods_left.truth.json").write_text(json.dumps(truth))
    return video, folder / "goods_left.yaml", folder / "goods_left.truth.json"


def test_replay_runner_scores_a_synthetic_scenario(tmp_path: Path) -> None:
    video, config_path, truth_path = synthetic_scenario(tmp_path / "sc")
    config = EdgeNodeConfig.model_validate(yaml.safe_load(config_path.read_text()))
    truth = load_truth(truth_path)
    result = replay_video(video, config, BlockDetector(), tmp_path / "out", truth=truth)
    assert [m.kind for m in result.messages] == ["alert", "episode_end"]
    assert result.score is not None and result.score.f1 == 1.0
    assert 0 <= result.score.delays[0] <= 2
    assert (tmp_path / "out" / "goods_left.annotated.mp4").stat().st_size > 0
    body = write_metrics(tmp_path / "out" / "metrics.json", [result])
    assert body["overall"]["f1"] == 1.0
    assert json.loads((tmp_path / "out" / "metrics.json").read_text())["runs"]["goods_left"]


def test_truth_errors_are_clear(tmp_path: Path) -> None:
    bad = tmp_path / "t.json"
    bad.write_text(json.dumps({"scenario": "x", "started_at": "2026-11-20T10:00:00"}))
    with pytest.raises(StreetorderError, match="started_at"):
        load_truth(bad)
    with pytest.raises(StreetorderError, match="not found"):
        load_truth(tmp_path / "none.json")
    assert (
        Truth.model_validate(
            {"scenario": "x", "started_at": "2026-11-20T10:00:00+08:00", "extra": 1}
        ).episodes
        == ()
    )


def test_cli_refuses_bad_arguments(tmp_path: Path, capsys) -> None:
    video, _, truth = synthetic_scenario(tmp_path / "sc", seconds=2, present=None)
    rc = main(["replay", str(tmp_path / "nope.mp4"), "--out", str(tmp_path / "o")])
    assert rc == 2 and "video" in capsys.readouterr().err
    rc = main(
        ["replay", str(video), str(video), "--truth", str(truth), "--out", str(tmp_path / "o")]
    )
    assert rc == 2 and "--truth given 1 time(s) for 2 video(s)" in capsys.readouterr().err


@pytest.mark.train
def test_cli_end_to_end_with_an_onnx_model(tmp_path: Path, export_yolo) -> None:
    video, _, _ = synthetic_scenario(tmp_path / "sc", seconds=12, present=None)
    out = tmp_path / "out"
    rc = main(
        ["replay", str(video), "--truth", "auto", "--model", str(export_yolo()), "--out", str(out)]
    )
    assert rc == 0
    body = json.loads((out / "metrics.json").read_text())
    assert body["runs"]["goods_left"]["frames"] == 12
    assert (out / "alerts.jsonl").exists() and (out / "goods_left.annotated.mp4").exists()


@pytest.mark.mqtt
def test_publish_sends_replayed_messages_through_the_outbox(tmp_path: Path, mqtt_broker) -> None:
    import uuid

    from streetorder.contracts import decode, topics
    from streetorder.edge.replay.publish import OutboxPublisher
    from tests.edge.mqtt_support import Subscriber

    video, config_path, truth_path = synthetic_scenario(tmp_path / "sc")
    raw = yaml.safe_load(config_path.read_text())
    raw["node_id"] = f"replay-{uuid.uuid4().hex[:8]}"
    raw["broker"] = {"host": mqtt_broker.host, "port": mqtt_broker.port}
    config = EdgeNodeConfig.model_validate(raw)
    node = config.node_id
    sub = Subscriber(mqtt_broker.host, mqtt_broker.port, topics.alerts(node), topics.episodes(node))
    publisher = OutboxPublisher(config, tmp_path / "var")
    try:
        result = replay_video(
            video,
            config,
            BlockDetector(),
            tmp_path / "out",
            truth=load_truth(truth_path),
            sink=publisher,
            annotated_video=False,
        )
    finally:
        left = publisher.close(timeout=20)
    assert left == 0
    assert sub.wait_for(lambda: len(sub.payloads(topics.episodes(node))) == 1)
    sub.close()
    sent = [m.alert_id for m in result.messages]
    assert sub.alert_ids(topics.alerts(node)) == sent[:1]
    end = decode(sub.payloads(topics.episodes(node))[0])
    assert end.kind == "episode_end" and end.alert_id == sent[0]


def test_cli_truth_boxes_check_the_pipeline_apart_from_the_model(tmp_path: Path) -> None:
    video, _, _ = synthetic_scenario(tmp_path / "sc")
    out = tmp_path / "out"
    args = ["replay", str(video), "--truth", "auto", "--truth-boxes", "0.2", "--spurious", "0.5"]
    assert main([*args, "--out", str(out)]) == 0  # one-frame false boxes never add up
    body = json.loads((out / "metrics.json").read_text())
    assert body["overall"]["f1"] == 1.0
    alert = json.loads((out / "alerts.jsonl").read_text().splitlines()[0])
    assert alert["model"]["name"] == "truth-boxes"
    assert main(["replay", str(video), "--truth-boxes", "0.2", "--out", str(out)]) == 2


def test_replays_of_different_videos_into_one_folder_never_share_an_id(tmp_path: Path) -> None:
    # three recordings: same node, camera, zone and start time, goods in other places
    places = [(100, 200, 160, 260), (60, 220, 120, 280), (140, 190, 200, 250)]
    runs = [synthetic_scenario(tmp_path / f"sc{i}", 40, goods=("goods", box))
            for i, box in enumerate(places)]  # fmt: skip
    out = tmp_path / "out"
    args = ["replay", *(str(v) for v, _, _ in runs), "--out", str(out), "--no-video"]
    truths = [a for _, _, t in runs for a in ("--truth", str(t))]
    assert main([*args, *truths, "--truth-boxes", "0"]) == 0
    alerts = [m for m in map(json.loads, (out / "alerts.jsonl").read_text().splitlines())
              if m["kind"] == "alert"]  # fmt: skip
    assert len({a["episode_started_at"] for a in alerts}) == 1
    assert len({a["alert_id"] for a in alerts}) == len(alerts) == 3
    for alert in alerts:  # every file is the one its alert recorded
        for ref in alert["evidence"]:
            data = (out / "evidence" / ref["filename"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == ref["sha256"]
    # the first recording again: the same episode, the same id, its files untouched
    before = {p.name: p.read_bytes() for p in (out / "evidence").iterdir()}
    assert (
        main([*args[:2], "--out", str(out), "--no-video", *truths[:2], "--truth-boxes", "0"]) == 0
    )
    again = json.loads((out / "alerts.jsonl").read_text().splitlines()[0])
    assert again["alert_id"] == alerts[0]["alert_id"]
    assert {p.name: p.read_bytes() for p in (out / "evidence").iterdir()} == before
