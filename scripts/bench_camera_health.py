"""Cost of the frozen-picture check per analysed frame (``edge/sources/freeze.py``).

Every analysed frame is reduced to its signature (the green channel on a grid ~480 samples
wide) and compared with the last new picture: this is what the check adds to a camera's
analysis, next to decoding and the detector. Frames are street-like, with sensor noise.

    .venv/bin/python scripts/bench_camera_health.py [--frames 200] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SIZES = {"1080p": (1920, 1080), "720p": (1280, 720), "540p": (960, 540)}


def frames(width: int, height: int, count: int) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    base = np.full((height, width, 3), 90, np.uint8)
    base[: height // 3] = (160, 150, 140)
    noise = [rng.integers(0, 4, (height, width, 3), dtype=np.uint8) for _ in range(4)]
    return [base + noise[i % len(noise)] for i in range(count)]


def per_frame_ms(images: list[np.ndarray]) -> float:
    from streetorder.edge.sources import freeze

    state = freeze.FreezeState()
    began = time.perf_counter()
    for i, image in enumerate(images):
        state, _ = freeze.step(
            state, freeze.signature(image), float(i), frozen_seconds=30.0, max_difference=0.5
        )
    return (time.perf_counter() - began) * 1000 / len(images)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    result = {}
    for name, (width, height) in SIZES.items():
        images = frames(width, height, args.frames)
        runs = [per_frame_ms(images) for _ in range(args.rounds)]
        result[name] = {"median_ms": round(statistics.median(runs), 3), "runs_ms": runs}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
