"""Latency of the bundled detector with onnxruntime alone (the issue's ≤ 12 ms/frame target).

Times the bare ``InferenceSession.run`` on letterboxed generated street frames, for 1 and 2
intra-op threads, and prints median / p90 per frame. The figure of a shared 2-core host swings
from minute to minute with what its neighbours do, so the runs are repeated in ``--trials``
blocks and the range of block medians is printed: the best block is what the machine can do, the
spread is the host. No accuracy here: ``streetorder models eval`` measures mAP on the held-out
split.

    .venv/bin/python scripts/bench_model.py [--model M.onnx] [--runs 300] [--trials 5]
                                            [--threads 1 2]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--model", type=Path, help="ONNX model (default: the bundled one)")
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--trials", type=int, default=5, help="blocks of --runs runs per thread count")
    args = ap.parse_args()

    import cv2
    from tqdm import tqdm

    from streetorder.contracts.model_bundle import bundled_model_path
    from streetorder.models.evaluate import TARGET_LATENCY_MS, latency
    from streetorder.models.synth.dataset import generate_image

    model = args.model or bundled_model_path()
    if not model.is_file():
        print(f"{model}: no model", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        frames = []
        for i in range(8):
            path = Path(tmp) / f"{i}.jpg"
            cv2.imwrite(str(path), generate_image(1, "test", i, 960, 540).image)
            frames.append(path)
        results = {}
        for t in args.threads:
            trials = []
            for _ in tqdm(range(args.trials), desc=f"{t} thread(s)", unit="trial", leave=False):
                trials.append(latency(model, frames, t, args.runs))
            results[t] = trials
    print(f"model {model} ({model.stat().st_size / 1e6:.1f} MB), {args.trials} x {args.runs} runs")
    for t, trials in results.items():
        medians = sorted(r["median"] for r in trials)
        best = min(trials, key=lambda r: r["median"])
        meeting = sum(m <= TARGET_LATENCY_MS for m in medians)
        print(
            f"  {t} thread(s): best median {best['median']:.2f} ms (p90 {best['p90']:.2f}, "
            f"min {best['min']:.2f}); trial medians {medians[0]:.2f}-{medians[-1]:.2f} ms, "
            f"{meeting} of {len(medians)} within the {TARGET_LATENCY_MS:.0f} ms target"
        )
    print(json.dumps({str(k): v for k, v in results.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
