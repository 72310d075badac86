"""Detector throughput, side by side on the same model and frames:

* ``streetorder``: our ``OnnxDetector`` (letterbox + onnxruntime + decode/NMS → source pixels)
* ``bare-ort``: a plain onnxruntime session (default options) running only ``session.run`` on
  frames letterboxed beforehand (inference alone, the floor for any detector)
* ``tuned-ort-inference-only``: our tuned session's ``session.run`` alone (what our pre- and
  post-processing cost on top)
* ``ultralytics``: ``YOLO(model.onnx).predict`` (needs the train extra)

Rounds alternate the three so that load from other processes hits them alike; the median
frames/second per contender is reported. Also checks that our boxes match Ultralytics'.

    .venv/bin/python scripts/bench_detector.py [--model M.onnx] [--frames 40] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def synthetic_frames(n: int, width: int, height: int) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    frames = []
    for _ in range(n):
        frame = np.full((height, width, 3), 90, np.uint8)
        frame[: height // 3] = (160, 150, 140)
        for _ in range(10):
            w, h = (
                int(rng.integers(width // 20, width // 6)),
                int(rng.integers(height // 20, height // 5)),
            )
            x, y = int(rng.integers(0, width - w)), int(rng.integers(0, height - h))
            cv2.rectangle(
                frame, (x, y), (x + w, y + h), [int(c) for c in rng.integers(0, 255, 3)], -1
            )
        frames.append(frame)
    return frames


def video_frames(path: Path, n: int) -> list[np.ndarray]:
    from streetorder.edge.sources import AvSource

    src = AvSource(str(path), interval=0.0)
    out = []
    for _, frame in src.frames():
        out.append(frame)
        if len(out) >= n:
            break
    src.close()
    return out


def default_model(imgsz: int) -> Path:
    """The bundled model; else a YOLO11n exported here (ultralytics, random weights)."""
    try:
        from streetorder.contracts.model_bundle import bundled_model_path

        path = Path(bundled_model_path())
        if path.is_file():
            return path
    except ImportError:
        pass
    os.environ.setdefault("YOLO_OFFLINE", "1")
    from ultralytics import YOLO

    out = Path(tempfile.mkdtemp(prefix="bench-det-"))
    cwd = os.getcwd()
    os.chdir(out)
    try:
        return out / Path(YOLO("yolo11n.yaml").export(format="onnx", imgsz=imgsz, simplify=False))
    finally:
        os.chdir(cwd)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--model", type=Path)
    ap.add_argument("--video", type=Path, help="take frames from this video (default: synthetic)")
    ap.add_argument("--frames", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--size", default="1280x720", help="synthetic frame size WxH")
    ap.add_argument("--imgsz", type=int, default=320, help="export size when no model is given")
    ap.add_argument("--no-ultralytics", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()

    import onnxruntime as ort

    from streetorder.edge.detect import OnnxDetector

    model = args.model or default_model(args.imgsz)
    width, height = (int(v) for v in args.size.split("x"))
    frames = (
        video_frames(args.video, args.frames)
        if args.video
        else synthetic_frames(args.frames, width, height)
    )
    ours = OnnxDetector(model, threads=args.threads, score_threshold=0.25, iou_threshold=0.7)
    ih, iw = ours.imgsz

    bare_opts = ort.SessionOptions()
    bare_opts.intra_op_num_threads = args.threads
    bare = ort.InferenceSession(str(model), bare_opts, providers=["CPUExecutionProvider"])
    input_name = bare.get_inputs()[0].name
    blobs = [ours.preprocess(f)[0] for f in frames]  # prepared outside the timing

    def run_bare(blob):
        return bare.run(None, {input_name: blob})

    def run_tuned(blob):
        return ours.session.run(None, {input_name: blob})

    contenders = {
        "streetorder": (ours, frames),
        "bare-ort": (run_bare, blobs),
        "tuned-ort-inference-only": (run_tuned, blobs),
    }
    yolo = None
    if not args.no_ultralytics:
        try:
            os.environ.setdefault("YOLO_OFFLINE", "1")
            from ultralytics import YOLO

            yolo = YOLO(str(model), task="detect")
            yolo.predict(frames[0], imgsz=(ih, iw), conf=0.25, iou=0.7, verbose=False)

            def run_yolo(frame):
                return yolo.predict(frame, imgsz=(ih, iw), conf=0.25, iou=0.7, verbose=False)

            contenders["ultralytics"] = (run_yolo, frames)
        except ImportError:
            print("ultralytics not installed: skipping that contender")

    for fn, data in contenders.values():  # warm up
        for item in data[:3]:
            fn(item)
    # interleave per frame so that load from other processes hits every contender alike
    fps: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.rounds):
        spent = dict.fromkeys(contenders, 0.0)
        for i in range(len(frames)):
            for name, (fn, data) in contenders.items():
                start = time.perf_counter()
                fn(data[i])
                spent[name] += time.perf_counter() - start
        for name in contenders:
            fps[name].append(len(frames) / spent[name])
    med = {name: statistics.median(v) for name, v in fps.items()}

    result = {
        "model": str(model),
        "input": f"{iw}x{ih}",
        "frames": f"{len(frames)} x {frames[0].shape[1]}x{frames[0].shape[0]}",
        "threads": args.threads,
        "rounds": args.rounds,
        "fps_median": {k: round(v, 2) for k, v in med.items()},
        "ms_per_frame": {k: round(1000 / v, 2) for k, v in med.items()},
        "ratio_vs_bare_ort": round(med["streetorder"] / med["bare-ort"], 3),
        "ratio_vs_tuned_inference_only": round(
            med["streetorder"] / med["tuned-ort-inference-only"], 3
        ),
    }
    if "ultralytics" in med:
        result["ratio_vs_ultralytics"] = round(med["streetorder"] / med["ultralytics"], 3)
        result["agreement"] = agreement(ours, yolo, frames, (ih, iw))
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


def agreement(ours, yolo, frames, imgsz) -> dict[str, object]:
    """Boxes of ours vs Ultralytics matched one-to-one: min IoU and max score difference."""
    from scipy.optimize import linear_sum_assignment

    from streetorder.edge.detections import box_iou

    ious: list[float] = []
    max_dscore, counts = 0.0, [0, 0]
    for frame in frames:
        a = ours(frame)
        b = yolo.predict(frame, imgsz=imgsz, conf=0.25, iou=0.7, verbose=False)[0].boxes
        counts[0] += len(a)
        counts[1] += len(b)
        if len(a) and len(b):
            ref = b.xyxy.numpy()
            iou = box_iou(ref, a.xyxy)
            r, c = linear_sum_assignment(-iou)
            # zero-area boxes (clipped at the frame edge) count as equal when coordinates agree
            same = np.abs(ref[r] - a.xyxy[c]).max(axis=1) <= 0.5
            ious.extend(np.where(same, 1.0, iou[r, c]).tolist())
            max_dscore = max(max_dscore, float(np.abs(b.conf.numpy()[r] - a.confidence[c]).max()))
    return {
        "boxes_ours": counts[0],
        "boxes_ultralytics": counts[1],
        "matched_iou_ge_0.95": f"{sum(i >= 0.95 for i in ious)}/{len(ious)}",
        "min_iou": round(min(ious), 4) if ious else None,
        "max_score_diff": round(max_dscore, 5),
    }


if __name__ == "__main__":
    sys.exit(main())
