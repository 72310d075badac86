"""What the scene reference costs per analysed frame, against the rest of the camera pipeline.

Renders a real-street scenario (fixed furniture, goods put out, rain, shake) at 1920x1080, then
runs the same frames through two ``CameraPipeline``s with the bundled detector: one whose zone
counts only new objects (the scene reference on), one without. Blocks alternate between the
two so that the host's speed swings hit both; the difference of the medians is the reference's
cost. Decoding is not included (the node decodes anyway), so the share printed is an upper
bound of the reference's share of the node's CPU. Target: ≤ 10 %.

    .venv/bin/python scripts/bench_reference.py [--frames 40] [--blocks 6]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def render(frames: int, seed: int):
    from streetorder.models.synth import scenarios as sc
    from streetorder.models.synth.video import edge_config
    from streetorder.models.synth.video import frames as rendered

    spec = next(s for s in sc.STREETS if s.name == "goods_among_furniture")
    script = sc.compose(seed, "streets", spec, 1920, 1080)
    out = []
    for i, (_, frame, _) in enumerate(rendered(script, fps=1)):
        if i >= 10:  # from the moment the goods are down
            out.append(frame)
        if len(out) == frames:
            break
    return out, edge_config(script, spec, "bench.mp4")


def pipeline(camera, detector, only_new: bool, folder: Path):
    from streetorder.contracts import CameraConfig
    from streetorder.edge.pipeline import CameraPipeline

    cam = CameraConfig.model_validate(camera)
    zones = tuple(
        z.model_copy(update={"rules": z.rules.model_copy(update={"only_new_objects": only_new})})
        for z in cam.zones
    )
    cam = cam.model_copy(update={"zones": zones})
    return CameraPipeline("bench", cam, detector, folder, clip_before=0, clip_after=0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--frames", type=int, default=40, help="analysed frames per block")
    ap.add_argument("--blocks", type=int, default=6, help="blocks per variant (alternating)")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2, help="onnxruntime threads")
    args = ap.parse_args()

    from tqdm import tqdm

    from streetorder.edge.detect import OnnxDetector

    print(f"rendering {args.frames} frames at 1920x1080 ...", flush=True)
    frames, config = render(args.frames, args.seed)
    camera = dict(config["cameras"][0])
    camera.pop("reference", None)  # learned reference: the snapshot is set once, not per frame
    detector = OnnxDetector(None, threads=args.threads)
    per_frame: dict[bool, list[float]] = {True: [], False: []}
    t0 = datetime(2026, 11, 20, 10, tzinfo=UTC)
    with TemporaryDirectory() as tmp, tqdm(total=2 * args.blocks, desc="blocks") as bar:
        for block in range(2 * args.blocks):
            only_new = block % 2 == 0
            p = pipeline(camera, detector, only_new, Path(tmp) / str(block))
            p.process(frames[0], t0)  # warm-up: zones, tracker, reference built
            start = time.perf_counter()
            for i, frame in enumerate(frames):
                p.process(frame, t0 + timedelta(seconds=i + 1))
            per_frame[only_new].append((time.perf_counter() - start) / len(frames) * 1000)
            bar.update()
    on, off = statistics.median(per_frame[True]), statistics.median(per_frame[False])
    cost = on - off
    print(f"\nper analysed 1080p frame, median of {args.blocks} blocks of {args.frames} frames:")
    rows = (
        ("pipeline with the scene reference", on, _spread(per_frame[True])),
        ("pipeline without it", off, _spread(per_frame[False])),
    )
    for label, value, spread in rows:
        print(f"  {label:36} {value:6.1f} ms  (blocks {spread})")
    print(f"  {'the reference':36} {cost:6.1f} ms  = {cost / on:.1%} of the pipeline")
    ok = cost / on <= 0.10
    print("target (<= 10 %) met" if ok else "TARGET NOT MET")
    return 0 if ok else 1


def _spread(values: list[float]) -> str:
    return f"{min(values):.1f}-{max(values):.1f}"


if __name__ == "__main__":
    sys.exit(main())
