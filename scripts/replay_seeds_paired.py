"""Paired event-level comparison of two ``bench_replay_seeds.py`` runs on the same seeds.

Each run's ``--out`` folder holds ``<reference>/<set>-<seed>/metrics.json`` and
``alerts.jsonl``. Both runs must have replayed the same videos (same seeds, sets, reference
and scenario cache). Prints, per set and scenario, the episodes found, missed and the false
alerts of each model; every video where a model missed an episode or raised a false alert,
with the truth episode's zone and class and the alerts raised; and the paired difference of
pooled precision, recall and F1 (candidate minus baseline) with a 95 % bootstrap interval that
resamples the videos once for both models (episodes of one video are not independent).

    .venv/bin/python scripts/replay_seeds_paired.py out/bench-s1/snapshot \\
        out/bench-bundled/snapshot [--cache /tmp/streetorder-bench-scenarios] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

Key = tuple[str, str, int]  # set, scenario, seed


def counts(run: Path) -> dict[Key, tuple[int, int, int]]:
    """(tp, fp, fn) of every video of a run."""
    out: dict[Key, tuple[int, int, int]] = {}
    for path in sorted(run.glob("*/metrics.json")):
        set_name, seed = path.parent.name.rsplit("-", 1)
        for name, s in json.loads(path.read_text())["scenarios"].items():
            out[(set_name, name, int(seed))] = (s["tp"], s["fp"], s["fn"])
    return out


def alerts(run: Path) -> dict[Key, list[tuple[str, list[str], str]]]:
    """First alerts (no reminders) of every video: zone, classes, threshold time."""
    out: dict[Key, list[tuple[str, list[str], str]]] = {}
    for path in sorted(run.glob("*/alerts.jsonl")):
        set_name, seed = path.parent.name.rsplit("-", 1)
        for line in path.read_text().splitlines():
            alert = json.loads(line)
            if alert.get("kind") != "alert" or alert.get("reminder"):
                continue
            scenario = alert["node_id"].removeprefix("scenario-").replace("-", "_")
            classes = [o["class_name"] for o in alert["objects"]]
            row = (alert["zone_id"], classes, alert["threshold_crossed_at"][11:19])
            out.setdefault((set_name, scenario, int(seed)), []).append(row)
    return out


def pooled(c: np.ndarray) -> np.ndarray:
    """Precision, recall, F1 of (..., videos, 3) counts, pooled over the videos axis."""
    tp, fp, fn = (c[..., k].sum(axis=-1) for k in range(3))
    return np.stack(
        [
            tp / np.maximum(tp + fp, 1e-9),
            tp / np.maximum(tp + fn, 1e-9),
            2 * tp / np.maximum(2 * tp + fp + fn, 1e-9),
        ],
        axis=-1,
    )


def paired(a: np.ndarray, b: np.ndarray, draws: int = 5000, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(a), (draws, len(a)))
    diff = pooled(a[picks]) - pooled(b[picks])
    point = pooled(a) - pooled(b)
    out = {}
    for k, name in enumerate(("precision", "recall", "f1")):
        low, high = np.percentile(diff[:, k], [2.5, 97.5])
        out[name] = {
            "diff": round(float(point[k]), 3),
            "interval_95": [round(float(low), 3), round(float(high), 3)],
        }
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("candidate", type=Path, help="<out>/<reference> folder of the candidate run")
    ap.add_argument("baseline", type=Path, help="<out>/<reference> folder of the baseline run")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/streetorder-bench-scenarios"))
    ap.add_argument("--json", type=Path, help="write the summary here too")
    args = ap.parse_args()

    a, b = counts(args.candidate), counts(args.baseline)
    for run, c in ((args.candidate, a), (args.baseline, b)):
        if not c:
            inner = sorted(str(m.parent.parent) for m in run.glob("*/*/metrics.json"))
            hint = (
                f"; its runs are one level down: {', '.join(sorted(set(inner)))}" if inner else ""
            )
            raise SystemExit(f"{run} holds no <set>-<seed>/metrics.json{hint}")
    if set(a) != set(b):
        only = sorted(set(a) ^ set(b))
        raise SystemExit(
            f"the two runs did not replay the same videos: {len(only)} differ, e.g. "
            + ", ".join(
                f"{s} {n} seed {k} ({'candidate' if (s, n, k) in a else 'baseline'} only)"
                for s, n, k in only[:5]
            )
        )
    keys = sorted(a)
    print("| set | scenario | videos | episodes | candidate tp/fp/fn | baseline tp/fp/fn |")
    print("|---|---|---:|---:|---|---|")
    for group in sorted({k[:2] for k in keys}):
        ks = [k for k in keys if k[:2] == group]
        ca, cb = (np.asarray([c[k] for k in ks]).sum(axis=0) for c in (a, b))
        print(
            f"| {group[0]} | {group[1]} | {len(ks)} | {ca[0] + ca[2]} | "
            f"{'/'.join(map(str, ca))} | {'/'.join(map(str, cb))} |"
        )

    for label, run, c in (("candidate", args.candidate, a), ("baseline", args.baseline, b)):
        raised = alerts(run)
        print(f"\n{label}: videos with a miss or a false alert")
        for k in keys:
            tp, fp, fn = c[k]
            if not (fp or fn):
                continue
            truth = json.loads((args.cache / f"{k[0]}-{k[2]}" / f"{k[1]}.truth.json").read_text())
            episodes = [(e["zone_id"], e["classes"]) for e in truth["episodes"]]
            print(
                f"  {k[0]} {k[1]} seed {k[2]}: tp={tp} fp={fp} fn={fn}, "
                f"{truth['scene']['lighting']}, truth {episodes}, alerts {raised.get(k, [])}"
            )

    summary: dict = {"videos": len(keys)}
    for subset in ("all", *sorted({k[0] for k in keys})):
        ks = [k for k in keys if subset == "all" or k[0] == subset]
        ca = np.asarray([a[k] for k in ks], np.float64)
        cb = np.asarray([b[k] for k in ks], np.float64)
        summary[subset] = {
            "videos": len(ks),
            "candidate": dict(zip(("tp", "fp", "fn"), map(int, ca.sum(axis=0)), strict=True)),
            "baseline": dict(zip(("tp", "fp", "fn"), map(int, cb.sum(axis=0)), strict=True)),
            "videos_differing": int((np.abs(ca - cb).sum(axis=1) > 0).sum()),
            "paired": paired(ca, cb),
        }
    print("\n" + json.dumps(summary, indent=2))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
