"""Event-level F1 of the edge pipeline on the generator's held-out scenario videos.

Generates the set with ``streetorder models scenarios --set heldout`` (unless ``--scenarios``
points at an existing folder), replays every video through ``streetorder replay`` with its own
config and truth, and prints precision / recall / F1 / delay overall and per scenario, plus the
alerts raised on scenarios without a violation. Targets: F1 ≥ 0.95 and zero such alerts.

    .venv/bin/python scripts/bench_replay.py [--scenarios DIR] [--set heldout] [--model M.onnx]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rewritten(folder: Path, label: str, edit, model: dict | None = None) -> Path:
    """A copy of the scenario folder (other files linked) whose cameras went through ``edit``
    and whose ``model`` section got the keys of ``model``."""
    import yaml

    copy = Path(tempfile.mkdtemp(prefix="scenarios-rewritten-"))
    for path in folder.iterdir():
        if path.suffix == ".yaml":
            config = yaml.safe_load(path.read_text(encoding="utf-8"))
            for camera in config.get("cameras", []):
                edit(camera)
            if model:
                config["model"] = {**config.get("model", {}), **model}
            (copy / path.name).write_text(yaml.safe_dump(config), encoding="utf-8")
        else:
            (copy / path.name).symlink_to(path.resolve())
    print(f"{label} in {copy}", flush=True)
    return copy


def unchanged(camera: dict) -> None:
    return None


def zone_rule(name: str, value):
    def edit(camera: dict) -> None:
        for zone in camera.get("zones", []):
            zone.setdefault("rules", {})[name] = value

    return edit


def no_snapshot(camera: dict) -> None:
    camera.pop("reference", None)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--scenarios", type=Path, help="existing scenario folder (with index.json)")
    ap.add_argument("--set", default="heldout", help="scenario set to generate (default heldout)")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--model", type=Path)
    ap.add_argument("--out", type=Path, help="replay output (default: a temporary folder)")
    ap.add_argument("--video", action="store_true", help="also write annotated videos")
    ap.add_argument(
        "--truth-boxes",
        type=float,
        metavar="MISS",
        help="score the pipeline apart from the model: truth boxes as detections, MISS missed",
    )
    ap.add_argument("--spurious", type=float, default=0.0, help="with --truth-boxes: false boxes")
    ap.add_argument(
        "--min-score", type=float, help="override every zone's min_score (tune on --set test)"
    )
    ap.add_argument(
        "--reference",
        choices=("snapshot", "learned", "off"),
        default="snapshot",
        help="scene reference: the installer's snapshot (as generated), learned from the "
        "stream only, or off (every detection counts: the control)",
    )
    args = ap.parse_args()

    folder = args.scenarios
    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix=f"scenarios-{args.set}-"))
        cmd = [sys.executable, "-m", "streetorder", "models", "scenarios", "--set", args.set]
        cmd += ["--out", str(folder)] + (
            ["--seed", str(args.seed)] if args.seed is not None else []
        )
        print("generating:", " ".join(cmd[2:]), flush=True)
        subprocess.run(cmd, check=True)
    videos = sorted(folder.glob("*.mp4"))
    if not videos:
        print(f"no scenario videos in {folder}", file=sys.stderr)
        return 2
    if args.min_score is not None:
        label = f"zones' min_score set to {args.min_score}"
        folder = rewritten(folder, label, zone_rule("min_score", args.min_score))
    if args.reference == "learned":
        folder = rewritten(folder, "snapshot references removed", no_snapshot)
    elif args.reference == "off":
        folder = rewritten(folder, "scene reference off", zone_rule("only_new_objects", False))
    videos = sorted(folder.glob("*.mp4"))
    out = args.out or Path(tempfile.mkdtemp(prefix="replay-bench-"))
    cmd = ["replay", *map(str, videos), "--truth", "auto", "--out", str(out)]
    if args.model:
        cmd += ["--model", str(args.model)]
    if args.truth_boxes is not None:
        cmd += ["--truth-boxes", str(args.truth_boxes), "--spurious", str(args.spurious)]
    if not args.video:
        cmd.append("--no-video")

    from streetorder.cli import main as cli

    start = time.monotonic()
    rc = cli(cmd)
    wall = time.monotonic() - start
    if rc:
        return rc
    metrics = json.loads((out / "metrics.json").read_text())
    o = metrics["overall"]
    frames = sum(r["frames"] for r in metrics["runs"].values())
    video_s = sum(r["video_seconds"] for r in metrics["runs"].values())
    print()
    print(f"{'scenario':32} {'tp':>3} {'fp':>3} {'fn':>3} {'f1':>6} {'delay s':>8}")
    for name, s in metrics["scenarios"].items():
        delay = "" if s["delay_mean_seconds"] is None else f"{s['delay_mean_seconds']:.1f}"
        print(f"{name:32} {s['tp']:>3} {s['fp']:>3} {s['fn']:>3} {s['f1']:>6.3f} {delay:>8}")
    print(
        f"\noverall: precision {o['precision']:.3f}  recall {o['recall']:.3f}  F1 {o['f1']:.3f}  "
        f"mean delay {o['delay_mean_seconds']} s  max delay {o['delay_max_seconds']} s"
    )
    print(
        f"alerts on no-violation scenarios: {metrics['alerts_on_no_violation_scenarios']} "
        f"({len(metrics['no_violation_scenarios'])} such scenarios)"
    )
    print(
        f"{len(videos)} videos, {video_s:.0f} s of video, {frames} analysed frames in {wall:.0f} s "
        f"wall ({frames / wall:.1f} frames/s); metrics: {out / 'metrics.json'}"
    )
    ok = o["f1"] >= 0.95 and metrics["alerts_on_no_violation_scenarios"] == 0
    print("targets met" if ok else "TARGETS NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
