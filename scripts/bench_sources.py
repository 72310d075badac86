"""Decoding cost per camera: every frame vs key frames only, on a 1080p 25 fps H.264 stream.

Writes a synthetic street-like 1080p25 H.264 file (a key frame every ``--gop`` frames, as IP
cameras do), then samples it through ``streetorder.edge.sources.AvSource`` at the analysis
interval, measuring process CPU time. Reports CPU seconds per second of video and, with the
detector's measured cost per analysed frame, how many such cameras two cores can hold.

    .venv/bin/python scripts/bench_sources.py [--seconds 30] [--gop 50] [--interval 2]
        [--detector-ms 25]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def make_stream(path: Path, seconds: int, fps: int, gop: int) -> None:
    from streetorder.edge.evidence import Mp4Writer

    rng = np.random.default_rng(0)
    base = np.full((1080, 1920, 3), 90, np.uint8)
    base[:360] = (160, 150, 140)
    noise = rng.integers(0, 60, (1080, 1920, 3), dtype=np.uint8)
    noise = cv2.GaussianBlur(noise, (0, 0), 2.0)  # texture: facades, paving
    base = cv2.add(base, noise)
    with Mp4Writer(path, fps=fps, gop=gop, crf=23) as w:
        for i in range(seconds * fps):
            frame = base.copy()
            x = (i * 12) % 1800
            cv2.rectangle(frame, (x, 600), (x + 120, 900), (40, 60, 200), -1)  # a passer-by
            cv2.rectangle(frame, (300, 700), (500, 860), (0, 140, 255), -1)  # goods
            w.write(frame, i / fps)


def cpu_for(path: Path, interval: float, keyframes: bool, threads: int) -> tuple[float, int, float]:
    from streetorder.edge.sources import AvSource

    src = AvSource(str(path), interval=interval, keyframes_only=keyframes, decoder_threads=threads)
    start = time.process_time()
    n, last = 0, 0.0
    for t, _frame in src.frames():
        n, last = n + 1, t
    src.close()
    return time.process_time() - start, n, last


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--fps", type=int, default=25)
    ap.add_argument("--gop", type=int, default=50)
    ap.add_argument("--interval", type=float, default=2.0, help="analysis interval, seconds")
    ap.add_argument("--detector-ms", type=float, default=25.0, help="detector cost per frame")
    ap.add_argument("--cores", type=float, default=2.0)
    ap.add_argument("--video", type=Path, help="use this file instead of generating one")
    ap.add_argument("--decoder-threads", type=int, default=1, help="1: as the edge decodes")
    args = ap.parse_args()

    video = args.video
    if video is None:
        video = Path(tempfile.mkdtemp(prefix="bench-src-")) / "street-1080p25.mp4"
        print(f"writing {video} ...", flush=True)
        make_stream(video, args.seconds, args.fps, args.gop)
    import av

    with av.open(str(video)) as c:
        s = c.streams.video[0]
        keys = [p.size for p in c.demux(s) if p.is_keyframe and p.size]
    out: dict[str, object] = {
        "video": str(video),
        "interval_seconds": args.interval,
        "decoder_threads": args.decoder_threads,
        "mean_key_frame_kb": round(sum(keys) / len(keys) / 1024, 1) if keys else None,
    }
    for keyframes in (False, True):
        cpu, n, dur = cpu_for(video, args.interval, keyframes, args.decoder_threads)
        length = dur + args.interval if dur else float(args.seconds)
        per_video_second = cpu / length
        detector = args.detector_ms / 1000 * (n / length)
        cameras = args.cores / (per_video_second + detector)
        out["keyframes_only" if keyframes else "all_frames"] = {
            "cpu_seconds": round(cpu, 2),
            "frames_analysed": n,
            "decode_cpu_per_video_second": round(per_video_second, 4),
            "detector_cpu_per_video_second": round(detector, 4),
            "cameras_on_cores": int(cameras),
        }
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
