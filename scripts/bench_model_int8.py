"""INT8 trial for the detector: FP32 vs a statically quantised INT8 copy (issue 3: ship INT8 only
if measured faster here with the accuracy kept). ``scripts/bench_model.py`` times FP32 alone.

The INT8 copies are calibrated on held-out generated frames (QDQ, per-channel weights): one with
the whole graph quantised, one with the detection head (the last layer) kept in float.

Rounds alternate the contenders so that load from other processes hits them alike; the median
per contender is reported, with the machine's load average at the start and end (the machine is
shared: numbers measured under load are upper bounds).

    .venv/bin/python scripts/bench_model_int8.py [--model M.onnx] [--threads 1 2] [--runs 100]
        [--data runs/data/data.yaml] [--out runs/bench_model_int8.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def frames(model: Path, n: int, seed: int = 11) -> list[np.ndarray]:
    """Frames from the project's own generator (held-out domain), as the edge feeds ``model``."""
    from streetorder.edge.detect.onnx_detector import OnnxDetector
    from streetorder.models.synth.dataset import generate_image

    edge = OnnxDetector(model, threads=1)
    return [edge.preprocess(generate_image(seed, "test", i).image)[0] for i in range(n)]


def session(model: Path, threads: int):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(model), opts, providers=["CPUExecutionProvider"])


def time_runs(sess, blobs: list[np.ndarray], runs: int) -> tuple[list[float], float]:
    """Wall-clock ms per run, and process CPU ms per run (less sensitive to other processes'
    load: with one thread it approximates the latency on an idle core)."""
    name = sess.get_inputs()[0].name
    for b in blobs[:5]:
        sess.run(None, {name: b})
    out = []
    cpu0 = time.process_time()
    for i in range(runs):
        t0 = time.perf_counter()
        sess.run(None, {name: blobs[i % len(blobs)]})
        out.append((time.perf_counter() - t0) * 1000.0)
    return out, (time.process_time() - cpu0) * 1000.0 / runs


def head_nodes(model: Path) -> list[str]:
    """Names of the nodes of the detection head: Ultralytics exports name every node
    ``/model.<layer>/...``, and the head (Detect) is the last layer."""
    import onnx

    graph = onnx.load(str(model)).graph
    layer = re.compile(r"^/model\.(\d+)/")
    layers = [int(m.group(1)) for n in graph.node if (m := layer.match(n.name))]
    if not layers:
        return []
    head = f"/model.{max(layers)}/"
    return [n.name for n in graph.node if n.name.startswith(head)]


def quantize_int8(
    model: Path, calib: list[np.ndarray], target: Path, keep_float: list[str] | None = None
) -> Path:
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self, name: str) -> None:
            self._it = iter([{name: b} for b in calib])

        def get_next(self):
            return next(self._it, None)

    name = session(model, 1).get_inputs()[0].name
    pre = target.with_suffix(".pre.onnx")
    quant_pre_process(str(model), str(pre), skip_symbolic_shape=True)
    quantize_static(
        str(pre),
        str(target),
        Reader(name),
        quant_format=QuantFormat.QDQ,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        per_channel=True,
        nodes_to_exclude=keep_float or [],
    )
    pre.unlink(missing_ok=True)
    return target


def main() -> int:
    from streetorder.contracts.model_bundle import bundled_model_path

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=bundled_model_path())
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--runs", type=int, default=100, help="timed runs per round and contender")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--frames", type=int, default=16)
    ap.add_argument("--data", type=Path, help="data YAML: also mAP50 of both on its 'test' split")
    ap.add_argument("--out", type=Path, help="write the JSON report here too")
    args = ap.parse_args()

    blobs = frames(args.model, args.frames)
    contenders: dict[str, Path] = {"fp32": args.model}
    tmp = Path(tempfile.mkdtemp(prefix="bench-model-"))
    contenders["int8"] = quantize_int8(args.model, blobs, tmp / "int8.onnx")
    head = head_nodes(args.model)
    contenders["int8-float-head"] = quantize_int8(
        args.model, blobs, tmp / "int8-float-head.onnx", keep_float=head
    )
    load_start = os.getloadavg()
    sessions = {(k, t): session(p, t) for k, p in contenders.items() for t in args.threads}
    times: dict[tuple[str, int], list[float]] = {key: [] for key in sessions}
    cpu: dict[tuple[str, int], list[float]] = {key: [] for key in sessions}
    for _ in range(args.rounds):
        for key, sess in sessions.items():
            wall, cpu_ms = time_runs(sess, blobs, args.runs)
            times[key] += wall
            cpu[key].append(cpu_ms)
    report: dict = {
        "model": str(args.model),
        "input": list(blobs[0].shape),
        "size_bytes": {k: p.stat().st_size for k, p in contenders.items()},
        "load_average": {"start": load_start, "end": os.getloadavg()},
        "cpus": os.cpu_count(),
        "latency_ms": {
            f"{k}@{t}threads": {
                "median": round(statistics.median(v), 3),
                "p10": round(sorted(v)[len(v) // 10], 3),
                "p90": round(sorted(v)[(9 * len(v)) // 10], 3),
                "runs": len(v),
                "cpu_ms_per_run": round(statistics.median(cpu[(k, t)]), 3),
            }
            for (k, t), v in times.items()
        },
    }
    if args.data:
        from streetorder.models.evaluate import accuracy

        report["mAP50_test"] = {
            k: accuracy(p, args.data, "test", 16, tmp / k)["overall"]["mAP50"]
            for k, p in contenders.items()
        }
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
