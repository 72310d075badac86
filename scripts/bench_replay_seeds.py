"""Event-level F1 of the edge pipeline over several generator seeds, with 95 % intervals.

For every seed and set, generates the scenario set (``models scenarios --fps 1``: the node
analyses one frame a second) into ``--cache`` unless it is there, replays it with the bundled
model (``streetorder replay``), and pools the results:

- event precision / recall / F1 over every violation episode, with a 95 % interval from a
  bootstrap over the scenario videos (episodes of one video are not independent);
- alerts on scenarios without a violation, per scenario and per seed (the fixed-furniture
  scenes of ``streets-heldout`` must raise none);
- the delay of each caught episode after its truth threshold (goods already out at start too).

Seeds used to choose a model, threshold or parameter must not be reported here: the held-out
benchmark uses the ``heldout`` and ``streets-heldout`` sets with seeds 101 and up.

    .venv/bin/python scripts/bench_replay_seeds.py --seeds 101-110 \\
        --sets heldout streets-heldout [--reference snapshot|learned|off]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.bench_replay import no_snapshot, rewritten, unchanged, zone_rule  # noqa: E402


def seeds_of(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b or a) + 1))
    return out


def generate(folder: Path, set_name: str, seed: int) -> None:
    if (folder / "index.json").is_file():
        return
    cmd = [sys.executable, "-m", "streetorder", "models", "scenarios", "--set", set_name]
    cmd += ["--seed", str(seed), "--fps", "1", "--quiet", "--out", str(folder)]
    subprocess.run(cmd, check=True)


def replay(
    folder: Path,
    out: Path,
    reference: str,
    model: Path | None = None,
    cross_class_iou: float | None = None,
) -> dict:
    from streetorder.cli import main as cli

    if cross_class_iou is not None:
        folder = rewritten(
            folder,
            f"cross_class_iou {cross_class_iou}",
            unchanged,
            {"cross_class_iou": cross_class_iou},
        )
    if reference == "learned":
        folder = rewritten(folder, "snapshot references removed", no_snapshot)
    elif reference == "off":
        folder = rewritten(folder, "scene reference off", zone_rule("only_new_objects", False))
    videos = sorted(folder.glob("*.mp4"))
    args = ["replay", *map(str, videos), "--truth", "auto", "--out", str(out), "--no-video"]
    if model is not None:
        args += ["--model", str(model)]
    if cli(args) != 0:
        raise SystemExit(f"replay of {folder} failed")
    return json.loads((out / "metrics.json").read_text())


def f1_of(tp: float, fp: float, fn: float) -> float:
    return 2 * tp / max(1e-9, 2 * tp + fp + fn)


def bootstrap(rows: list[tuple[int, int, int]], draws: int = 5000, seed: int = 0):
    """95 % interval of pooled precision, recall and F1, resampling scenario videos."""
    rng = np.random.default_rng(seed)
    counts = np.asarray(rows, np.float64)
    picks = rng.integers(0, len(counts), (draws, len(counts)))
    tp, fp, fn = (counts[picks][:, :, k].sum(axis=1) for k in range(3))
    precision = tp / np.maximum(tp + fp, 1e-9)
    recall = tp / np.maximum(tp + fn, 1e-9)
    f1 = 2 * tp / np.maximum(2 * tp + fp + fn, 1e-9)
    return {
        name: [round(float(np.percentile(v, 2.5)), 3), round(float(np.percentile(v, 97.5)), 3)]
        for name, v in (("precision", precision), ("recall", recall), ("f1", f1))
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seeds", required=True, help="e.g. 101-110 or 101,103,105")
    ap.add_argument("--sets", nargs="+", default=["heldout", "streets-heldout"])
    ap.add_argument("--cache", type=Path, default=Path("/tmp/streetorder-bench-scenarios"))
    ap.add_argument("--out", type=Path, default=Path("out/bench-replay-seeds"))
    ap.add_argument("--reference", choices=("snapshot", "learned", "off"), default="snapshot")
    ap.add_argument("--model", type=Path, help="ONNX model (default: the bundled one)")
    ap.add_argument(
        "--cross-class-iou", type=float, help="model.cross_class_iou of every scenario's config"
    )
    args = ap.parse_args()

    rows: list[tuple[int, int, int]] = []
    quiet: dict[str, list[int]] = {}
    delays: dict[str, list[float]] = {}
    started = time.monotonic()
    seeds = seeds_of(args.seeds)
    for seed in seeds:
        for set_name in args.sets:
            folder = args.cache / f"{set_name}-{seed}"
            print(f"== {set_name} seed {seed}", flush=True)
            generate(folder, set_name, seed)
            metrics = replay(
                folder,
                args.out / args.reference / f"{set_name}-{seed}",
                args.reference,
                args.model,
                args.cross_class_iou,
            )
            for name, s in metrics["scenarios"].items():
                rows.append((s["tp"], s["fp"], s["fn"]))
                delays.setdefault(name, []).extend(s["delays"])
                if name in metrics["no_violation_scenarios"]:
                    quiet.setdefault(name, []).append(s["fp"])
    tp, fp, fn = (sum(r[k] for r in rows) for k in range(3))
    interval = bootstrap(rows)
    all_delays = [d for ds in delays.values() for d in ds]
    report = {
        "seeds": seeds,
        "sets": args.sets,
        "reference": args.reference,
        "model": str(args.model or "bundled"),
        "cross_class_iou": args.cross_class_iou,
        "videos": len(rows),
        "episodes": tp + fn,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": round(tp / max(1, tp + fp), 3),
        "recall": round(tp / max(1, tp + fn), 3),
        "f1": round(f1_of(tp, fp, fn), 3),
        "interval_95": interval,
        "alerts_on_no_violation_scenarios": {k: sum(v) for k, v in sorted(quiet.items())},
        "no_violation_videos": sum(len(v) for v in quiet.values()),
        "delay_seconds": {
            "mean": round(float(np.mean(all_delays)), 2) if all_delays else None,
            "max": round(float(np.max(all_delays)), 2) if all_delays else None,
            "by_scenario": {
                k: [round(min(v), 1), round(float(np.mean(v)), 1), round(max(v), 1)]
                for k, v in sorted(delays.items())
                if v
            },
        },
        "wall_seconds": round(time.monotonic() - started),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"summary-{args.reference}.json"
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))
    print(
        f"\n{len(seeds)} seeds, {report['episodes']} violation episodes in {len(rows)} videos: "
        f"F1 {report['f1']} (95 % {interval['f1'][0]}-{interval['f1'][1]}), "
        f"precision {report['precision']}, recall {report['recall']}; "
        f"{sum(report['alerts_on_no_violation_scenarios'].values())} alerts on "
        f"{report['no_violation_videos']} no-violation videos → {path}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
