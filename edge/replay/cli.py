"""``streetorder replay VIDEO... --config cam.yaml --out DIR [--truth truth.json]``."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from streetorder.errors import StreetorderError

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "replay",
        help="run recorded videos through the edge pipeline (alerts, evidence, metrics)",
        description=(
            "Replay videos through the same pipeline as 'edge run'. Writes alerts.jsonl, evidence "
            "files, an annotated video per input and metrics.json (precision/recall/F1 and delay "
            "when ground truth is given)."
        ),
    )
    p.add_argument("videos", nargs="+", type=Path, metavar="VIDEO")
    p.add_argument(
        "--config",
        type=Path,
        help="edge node config (YAML); default: VIDEO's sibling <name>.yaml",
    )
    p.add_argument(
        "--truth",
        type=Path,
        action="append",
        help="ground truth JSON, once per VIDEO in order; 'auto': each VIDEO's <name>.truth.json",
    )
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--model", type=Path, help="ONNX model (default: the config's, else bundled)")
    p.add_argument(
        "--truth-boxes",
        type=float,
        metavar="MISS",
        help="use the truth's boxes as detections, each missed with probability MISS (checks "
        "tracking, zones and dwell apart from the model; needs --truth)",
    )
    p.add_argument(
        "--spurious",
        type=float,
        default=0.0,
        metavar="P",
        help="with --truth-boxes: chance per frame of one false goods box at a random place",
    )
    p.add_argument("--realtime", action="store_true", help="pace frames at video speed")
    p.add_argument("--no-video", action="store_true", help="skip the annotated video")
    p.add_argument(
        "--publish", action="store_true", help="send messages via the outbox to the config's broker"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from streetorder.edge.detect.class_map import check_zone_classes
    from streetorder.edge.replay.runner import replay_video, write_alerts, write_metrics
    from streetorder.edge.replay.truth import load_truth

    videos: list[Path] = args.videos
    for v in videos:
        if not v.is_file():
            raise StreetorderError(f"video {v} not found")
    truths = _truth_paths(args.truth, videos)
    args.out.mkdir(parents=True, exist_ok=True)
    alerts_path = args.out / "alerts.jsonl"
    alerts_path.write_text("", encoding="utf-8")
    results = []
    detectors: dict[tuple[Path | None, int, float, float], object] = {}
    publisher = None
    try:
        for i, video in enumerate(videos):
            config_path = args.config or video.with_suffix(".yaml")
            config = _load_config(config_path)
            truth = load_truth(truths[i]) if truths[i] else None
            if args.truth_boxes is not None:
                detector = _truth_boxes(truths[i], args.truth_boxes, i, args.spurious)
            else:
                detector = _detector(args.model, config, config_path, detectors)
            check_zone_classes(config.cameras, detector, config_path)
            if args.publish and publisher is None:
                from streetorder.edge.replay.publish import OutboxPublisher
                from streetorder.edge.runtime.storage import storage_dir

                storage = storage_dir(config, config_path.parent)
                publisher = OutboxPublisher(config, storage, args.out / "evidence")
            total = truth.duration_seconds if truth and truth.duration_seconds else None
            with tqdm(total=total, desc=video.name, unit="s", unit_scale=False, leave=True) as bar:

                def advance(t: float, bar=bar) -> None:
                    bar.update(max(0.0, round(t - bar.n, 3)))

                result = replay_video(
                    video,
                    config,
                    detector,  # type: ignore[arg-type]
                    args.out,
                    truth=truth,
                    realtime=args.realtime,
                    annotated_video=not args.no_video,
                    sink=publisher,
                    on_frame=advance,
                    base_dir=config_path.parent,
                )
            write_alerts(alerts_path, result.messages)
            results.append(result)
            if result.score is not None:
                s = result.score
                tqdm.write(
                    f"{result.scenario}: tp={s.tp} fp={s.fp} fn={s.fn} f1={s.f1:.3f} "
                    f"({result.frames} frames in {result.wall_seconds:.1f} s)"
                )
    finally:
        if publisher is not None:
            left = publisher.close()
            if left:
                print(f"{left} message(s) wait in the outbox for the broker")
    body = write_metrics(args.out / "metrics.json", results)
    if "overall" in body:
        o = body["overall"]
        print(
            f"overall: precision={o['precision']} recall={o['recall']} f1={o['f1']} "  # type: ignore[index]
            f"mean delay={o['delay_mean_seconds']} s → {args.out / 'metrics.json'}"  # type: ignore[index]
        )
    else:
        print(f"{sum(len(r.messages) for r in results)} message(s) → {alerts_path}")
    return 0


def _truth_paths(given: list[Path] | None, videos: list[Path]) -> list[Path | None]:
    if not given:
        return [None] * len(videos)
    if len(given) == 1 and str(given[0]) == "auto":
        out: list[Path | None] = []
        for v in videos:
            candidate = v.with_name(v.stem + ".truth.json")
            out.append(candidate if candidate.is_file() else None)
        return out
    if len(given) != len(videos):
        raise StreetorderError(
            f"--truth given {len(given)} time(s) for {len(videos)} video(s); give one per video "
            "or --truth auto"
        )
    return list(given)


def _truth_boxes(truth: Path | None, miss: float, seed: int, spurious: float = 0.0):
    import json

    from streetorder.edge.replay.oracle import TruthBoxDetector

    if truth is None:
        raise StreetorderError("--truth-boxes needs ground truth (--truth)")
    if not 0 <= miss < 1:
        raise StreetorderError("--truth-boxes MISS must be in [0, 1)")
    frames = json.loads(truth.read_text(encoding="utf-8")).get("frames", [])
    return TruthBoxDetector(
        frames, seed=seed, miss=miss, jitter_px=2.0, scores=(0.45, 0.95), spurious=spurious
    )


def _load_config(path: Path):
    from streetorder.edge.config import load_edge_config

    return load_edge_config(path)


def _detector(model: Path | None, config, config_path: Path, cache: dict):
    from streetorder.edge.detect import OnnxDetector

    settings, base = config.model, config_path.parent
    key = (model, settings.path and base / settings.path, settings.model_dump_json())
    if key not in cache:
        cache[key] = OnnxDetector.from_settings(settings, base, model, where=config_path)
    return cache[key]
