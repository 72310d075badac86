"""Latency of the bundled detector with onnxruntime alone (the issue's ≤ 12 ms/frame target).

Times the bare ``InferenceSession.run`` on letterboxed generated street frames, for 1 and 2
intra-op threads, and prints median / p90 per frame. No accuracy here: ``streetorder models eval``
measures mAP on the held-out split.

    .venv/bin/python scripts/bench_model.py [--model M.onnx] [--runs 300] [--threads 1 2]
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
    args = ap.parse_args()

    import cv2

    from streetorder.models.bundle import bundled_model_path
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
        results = {t: latency(model, frames, t, args.runs) for t in args.threads}
    print(f"model {model} ({model.stat().st_size / 1e6:.1f} MB)")
    for t, r in results.items():
        ok = "meets" if r["median"] <= TARGET_LATENCY_MS else "MISSES"
        print(
            f"  {t} thread(s): median {r['median']:.2f} ms, p90 {r['p90']:.2f} ms, "
            f"min {r['min']:.2f} ms per frame ({ok} the {TARGET_LATENCY_MS:.0f} ms target)"
        )
    print(json.dumps({str(k): v for k, v in results.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
