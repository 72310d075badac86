"""Edge node capacity: how many 1080p25 H.264 cameras one node analyses every 2 s, its memory,
and the alert latency after the dwell threshold.

    .venv/bin/python scripts/bench_edge_node.py --model M.onnx [--counts 8,16,24,32] \
        [--seconds 30] [--scenarios DIR]

Each camera count runs in a fresh child process (so RSS is that node's own): N cameras play
the same generated 1080p25 H.264 file at real-time pace (a file camera is paced like a live
one), analysis every 2 s with key-frame-only decoding (GOP 1 s, as IP cameras default to).
A count *holds* when, over the measured window, every camera is analysed every 2 s on average
(mean gap ≤ 2.05 s, no gap over 4 s: no slot skipped) and its analysis never lags the stream
by more than 2 s. The N cameras' phases are spread over the 2 s interval, as unsynchronised
real cameras are.

With ``--scenarios DIR`` (the generator's output with truth files) it also runs each
scenario with a violation through a node connected to the local Mosquitto and reports the
latency from the truth's dwell threshold to the alert's arrival at an MQTT subscriber.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
STREAM_SIZE = (1920, 1080)
FPS = 25


# -- test streams -------------------------------------------------------------------------


def make_stream(path: Path, seconds: float, gop: int, scenario_video: Path | None) -> Path:
    """A 1080p25 H.264 file: scenario frames scaled up if given, else a synthetic street."""
    import av
    import cv2

    if path.exists():
        return path
    tmp = path.with_suffix(".part.mp4")
    frames_in = None
    if scenario_video is not None:
        src = av.open(str(scenario_video))
        frames_in = (f.to_ndarray(format="bgr24") for f in src.decode(video=0))
    rng = np.random.default_rng(0)
    background = rng.integers(60, 200, (STREAM_SIZE[1] // 8, STREAM_SIZE[0] // 8, 3), np.uint8)
    background = cv2.resize(background, STREAM_SIZE, interpolation=cv2.INTER_LINEAR)
    last = background
    with av.open(str(tmp), "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height = STREAM_SIZE
        stream.pix_fmt = "yuv420p"
        stream.options = {
            "preset": "veryfast",
            "crf": "26",
            "g": str(gop),
            "keyint_min": str(gop),
            "sc_threshold": "0",
        }
        for i in range(int(seconds * FPS)):
            if frames_in is not None:
                nxt = next(frames_in, None)
                if nxt is not None:
                    last = cv2.resize(nxt, STREAM_SIZE, interpolation=cv2.INTER_LINEAR)
                frame = last
            else:
                frame = background.copy()
                for k in range(6):  # passers-by and a parked cart
                    x = int((i * (3 + k) + k * 300) % (STREAM_SIZE[0] - 120))
                    y = 500 + 80 * k
                    cv2.rectangle(frame, (x, y), (x + 110, y + 220), (40 * k, 90, 200), -1)
            noise = rng.integers(0, 8, frame.shape, np.uint8)  # sensor noise: real bitrate
            vf = av.VideoFrame.from_ndarray(cv2.add(frame, noise), format="bgr24")
            for packet in stream.encode(vf):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    os.replace(tmp, path)
    return path


# -- one node, N cameras (child process) ----------------------------------------------------


def rss_split_mb() -> dict[str, float]:
    """Anonymous (private heap) and file-backed (shared libraries) parts of the RSS, in MB."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("RssAnon", "RssFile", "RssShmem"):
            out[key] = round(int(value.split()[0]) / 1024, 1)
    return out


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident set size of this process in MB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def run_cameras(n: int, stream: Path, model: Path | None, seconds: float, warmup: float) -> dict:
    from streetorder.config.loader import validate_mapping
    from streetorder.edge.config import EdgeNodeConfig
    from streetorder.edge.node import EdgeNode
    from streetorder.edge.runtime.memory import tune_malloc

    tune_malloc()  # as `edge run` does
    storage = Path(tempfile.mkdtemp(prefix="bench-edge-"))
    zone = {"id": "z1", "shop_id": "s1", "polygon": [[0.1, 0.4], [0.9, 0.4], [0.9, 1], [0.1, 1]]}
    config = validate_mapping(
        EdgeNodeConfig,
        {
            "node_id": "bench",
            "model": {"path": str(model) if model else None, "threads": 2},
            "storage": {"dir": str(storage)},
            "heartbeat_seconds": 5,
            "cameras": [
                {
                    "id": f"cam-{i:02d}",
                    "source": str(stream),
                    "analysis_interval_seconds": 2.0,
                    "keyframes_only": True,
                    "zones": [zone],
                }
                for i in range(n)
            ],
        },
        "bench config",
    )
    # Real cameras are not phase-locked: spread the N copies of the file over one interval.
    start = time.time() + 1.0
    anchors = {f"{c.id}|{c.source}": start + i * 2.0 / n for i, c in enumerate(config.cameras)}
    (storage / "file_anchors.json").write_text(json.dumps(anchors))
    node = EdgeNode(config, base_dir=storage)
    thread = threading.Thread(target=node.run, daemon=True)
    thread.start()
    time.sleep(warmup)
    t0, cpu0 = time.monotonic(), os.times()
    lags: dict[str, float] = {}
    rss_samples = []
    while time.monotonic() - t0 < seconds:
        time.sleep(1.0)
        rss_samples.append(rss_mb()[0])
        for cid, w in node.workers.items():
            lags[cid] = max(lags.get(cid, 0.0), w.lag_seconds)
    t1, cpu1 = time.monotonic(), os.times()
    gaps_mean, gaps_p95, gaps_max, states = [], [], [], []
    for w in node.workers.values():
        times = [t for t in w.analysed_times() if t0 <= t <= t1]
        gaps = np.diff(times) if len(times) > 1 else np.array([seconds])
        gaps_mean.append(float(gaps.mean()))
        gaps_p95.append(float(np.percentile(gaps, 95)))
        gaps_max.append(float(gaps.max()))
        states.append(w.state)
    split = rss_split_mb()
    node.stop_event.set()
    thread.join(30)
    cpu = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / (t1 - t0)
    mean, worst_lag, worst_gap = max(gaps_mean), max(lags.values()), max(gaps_max)
    holds = mean <= 2.05 and worst_gap <= 4.0 and worst_lag <= 2.0 and set(states) == {"online"}
    return {
        "cameras": n,
        "holds": bool(holds),
        "gap_mean_s": round(mean, 3),
        "gap_p95_s": round(max(gaps_p95), 3),
        "gap_max_s": round(max(gaps_max), 3),
        "lag_max_s": round(worst_lag, 3),
        "cpu_cores": round(cpu, 2),
        "rss_mb_max": round(max(rss_samples), 1),
        "rss_mb_peak": round(rss_mb()[1], 1),
        "rss_split_mb": split,
        "states": sorted(set(states)),
        "load_avg": os.getloadavg()[0],
    }


# -- alert latency ---------------------------------------------------------------------------


def alert_latency(
    scenarios: Path, model: Path | None, clip_after: float, truth_boxes: bool = False
) -> list[dict]:
    """Per violation scenario, played in real time: truth threshold (wall) → alert received
    over MQTT. ``truth_boxes``: the truth's boxes stand in for the model."""
    import paho.mqtt.client as mqtt
    import yaml
    from paho.mqtt.enums import CallbackAPIVersion

    from streetorder.config.loader import validate_mapping
    from streetorder.contracts import decode, topics
    from streetorder.edge.config import EdgeNodeConfig
    from streetorder.edge.node import EdgeNode

    index = json.loads((scenarios / "index.json").read_text())
    entries = index["scenarios"] if isinstance(index, dict) else index
    names = [e.get("name") or e.get("scenario") if isinstance(e, dict) else e for e in entries]
    results = []
    for name in names:
        truth = json.loads((scenarios / f"{name}.truth.json").read_text())
        if not truth["episodes"]:
            continue
        raw = yaml.safe_load((scenarios / truth["config"]).read_text())
        node_id = f"lat-{name}"[:60].replace("_", "-")
        storage = Path(tempfile.mkdtemp(prefix="bench-lat-"))
        raw.update(node_id=node_id, broker={"host": "127.0.0.1", "port": 1883})
        raw["storage"] = {
            **raw.get("storage", {}),
            "dir": str(storage),
            "clip_seconds_after": clip_after,
        }
        if model:
            raw["model"] = {**raw.get("model", {}), "path": str(model)}
        config = validate_mapping(EdgeNodeConfig, raw, str(truth["config"]))
        arrivals: list[tuple[float, str]] = []
        client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        client.on_message = lambda c, u, m, into=arrivals: into.append((time.time(), m.payload))
        client.connect("127.0.0.1", 1883)
        client.subscribe(topics.alerts(node_id), qos=1)
        client.loop_start()
        runtime = None
        if truth_boxes:
            sys.path.insert(0, str(REPO))  # the truth runtime is test support (tests/support)
            from tests.support.truth_runtime import truth_runtime

            runtime = truth_runtime(scenarios / f"{name}.truth.json")
        node = EdgeNode(config, base_dir=scenarios, runtime=runtime)
        thread = threading.Thread(target=node.run, daemon=True)
        thread.start()
        time.sleep(truth["duration_seconds"] + clip_after + 3)
        node.stop_event.set()
        thread.join(30)
        client.loop_stop()
        anchor = next(iter(json.loads((storage / "file_anchors.json").read_text()).values()))
        for ep in truth["episodes"]:
            due = anchor + ep["threshold_seconds"]
            mine = [
                (at, decode(payload))
                for at, payload in arrivals
                if decode(payload).zone_id == ep["zone_id"]  # type: ignore[union-attr]
            ]
            best = min(mine, key=lambda m: abs(m[0] - due), default=None)
            results.append(
                {
                    "scenario": name,
                    "zone": ep["zone_id"],
                    "threshold_s": ep["threshold_seconds"],
                    # arrival - the truth's threshold: detection delay + the node's share
                    "latency_s": round(best[0] - due, 2) if best else None,
                    # arrival - the node's own threshold crossing: the node's share alone
                    "node_latency_s": (
                        round(best[0] - best[1].threshold_crossed_at.timestamp(), 2)  # type: ignore[union-attr]
                        if best
                        else None
                    ),
                    "clip_after_s": clip_after,
                    "detector": "truth boxes" if truth_boxes else "model",
                }
            )
        client.publish(topics.status(node_id), b"", retain=True)
    return results


def synthetic_latency(model: Path | None, clip_after: float, work: Path, seconds: int = 30) -> dict:
    """A real-time node on a street video whose scene changes every 8 s (new episodes), on the
    local Mosquitto: each alert's arrival at a subscriber minus its ``threshold_crossed_at``
    (the node's clock is the wall clock for a real-time camera). This is the node's part of the
    latency (analysis lag, clip wait, outbox, MQTT); how late the detector sees the dwell is
    replay's ``detection delay``."""
    import av
    import cv2
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    from streetorder.config.loader import validate_mapping
    from streetorder.contracts import decode, topics
    from streetorder.edge.config import EdgeNodeConfig
    from streetorder.edge.node import EdgeNode

    video = work / f"latency-{seconds}s.mp4"
    if not video.exists():
        rng = np.random.default_rng(1)
        scenes = []
        for _ in range(4):
            frame = np.full((720, 1280, 3), 90, np.uint8)
            for _ in range(10):
                w, h = int(rng.integers(64, 210)), int(rng.integers(36, 144))
                x, y = int(rng.integers(0, 1280 - w)), int(rng.integers(0, 720 - h))
                color = tuple(int(c) for c in rng.integers(0, 255, 3))
                cv2.rectangle(frame, (x, y), (x + w, y + h), color, -1)
            scenes.append(frame)
        with av.open(str(video), "w") as out:
            stream = out.add_stream("libx264", rate=5)
            stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuv420p"
            stream.options = {"g": "5", "crf": "20"}
            for i in range(seconds * 5):
                vf = av.VideoFrame.from_ndarray(scenes[(i // 40) % 4], format="bgr24")
                for packet in stream.encode(vf):
                    out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)
    node_id = f"bench-latency-{int(time.time())}"
    quads = [
        [[0, 0], [0.5, 0], [0.5, 0.5], [0, 0.5]],
        [[0.5, 0], [1, 0], [1, 0.5], [0.5, 0.5]],
        [[0, 0.5], [0.5, 0.5], [0.5, 1], [0, 1]],
        [[0.5, 0.5], [1, 0.5], [1, 1], [0.5, 1]],
    ]
    rules = {
        "dwell_seconds": 3,
        "clear_seconds": 2,
        "grace_seconds": 1,
        "min_score": 0.25,
        "min_inside_share": 0.3,
        "classes": ["goods", "rack", "table", "stall", "umbrella"],
    }
    storage = Path(tempfile.mkdtemp(prefix="bench-latency-"))
    config = validate_mapping(
        EdgeNodeConfig,
        {
            "node_id": node_id,
            "broker": {"host": "127.0.0.1", "port": 1883},
            "model": {"path": str(model) if model else None},
            "storage": {"dir": str(storage), "clip_seconds_after": clip_after},
            "cameras": [
                {
                    "id": "cam-01",
                    "source": str(video),
                    "analysis_interval_seconds": 1.0,
                    "zones": [
                        {"id": f"z{k}", "shop_id": f"s{k}", "polygon": q, "rules": rules}
                        for k, q in enumerate(quads)
                    ],
                }
            ],
        },
        "latency config",
    )
    arrivals: list[tuple[float, bytes]] = []
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.on_message = lambda c, u, m: arrivals.append((time.time(), m.payload))
    client.connect("127.0.0.1", 1883)
    client.subscribe(topics.alerts(node_id), qos=1)
    client.loop_start()
    node = EdgeNode(config, base_dir=storage)
    thread = threading.Thread(target=node.run, daemon=True)
    thread.start()
    time.sleep(seconds + 2)
    node.stop_event.set()
    thread.join(30)
    client.loop_stop()
    client.publish(topics.status(node_id), b"", retain=True)  # leave no retained status behind
    latencies = sorted(at - decode(p).threshold_crossed_at.timestamp() for at, p in arrivals)  # type: ignore[union-attr]
    return {
        "clip_after_s": clip_after,
        "alerts": len(latencies),
        "latency_median_s": round(float(np.median(latencies)), 3) if latencies else None,
        "latency_max_s": round(max(latencies), 3) if latencies else None,
    }


# -- driver ----------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--model", type=Path, help="ONNX detect model (default: the bundled one)")
    ap.add_argument("--counts", default="8,16,24,32", help="camera counts to try")
    ap.add_argument("--seconds", type=float, default=30.0, help="measured window per count")
    ap.add_argument("--warmup", type=float, default=8.0)
    ap.add_argument("--gop", type=int, default=25, help="key frame every N frames")
    ap.add_argument("--scenarios", type=Path, help="scenario dir: latency + realistic frames")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bench-edge-node")
    ap.add_argument(
        "--latency",
        action="store_true",
        help="alert latency (local MQTT): synthetic, or on --scenarios",
    )
    ap.add_argument(
        "--truth-boxes", action="store_true", help="with --scenarios: truth boxes, not the model"
    )
    ap.add_argument(
        "--clip-after",
        default="0.5",
        help="storage.clip_seconds_after values for the latency runs (default 0.5, the default)",
    )
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--stream", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.one:
        print(json.dumps(run_cameras(args.one, args.stream, args.model, args.seconds, args.warmup)))
        return

    args.work.mkdir(parents=True, exist_ok=True)
    clip_values = [float(v) for v in args.clip_after.split(",")]
    if args.latency or args.truth_boxes:
        from streetorder.edge.runtime.memory import tune_malloc

        tune_malloc()
        for clip_after in clip_values:
            if args.scenarios:  # the truth's threshold against the alert's arrival
                model = None if args.truth_boxes else args.model
                for row in alert_latency(args.scenarios, model, clip_after, args.truth_boxes):
                    print(json.dumps(row), flush=True)
            else:
                print(json.dumps(synthetic_latency(args.model, clip_after, args.work)), flush=True)
        return
    video = None
    if args.scenarios:
        index = json.loads((args.scenarios / "index.json").read_text())
        first = index["scenarios"][0] if isinstance(index, dict) else index[0]
        name = (first.get("name") or first.get("scenario")) if isinstance(first, dict) else first
        video = args.scenarios / f"{name}.mp4"
    length = args.seconds + args.warmup + 15
    stream = make_stream(
        args.work / f"stream-1080p25-gop{args.gop}-{int(length)}s.mp4", length, args.gop, video
    )
    print(f"stream: {stream} ({stream.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)
    results = []
    for n in [int(c) for c in args.counts.split(",")]:
        cmd = [
            sys.executable,
            __file__,
            "--one",
            str(n),
            "--stream",
            str(stream),
            "--seconds",
            str(args.seconds),
            "--warmup",
            str(args.warmup),
        ]
        if args.model:
            cmd += ["--model", str(args.model)]
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
        if out.returncode != 0:
            print(out.stderr[-2000:], file=sys.stderr)
            raise SystemExit(f"run with {n} cameras failed")
        result = json.loads(out.stdout.strip().splitlines()[-1])
        print(json.dumps(result), flush=True)
        results.append(result)
    held = [r["cameras"] for r in results if r["holds"]]
    print(json.dumps({"largest_count_that_holds": max(held) if held else 0}))
    if args.scenarios:
        for clip_after in clip_values:
            for row in alert_latency(args.scenarios, args.model, clip_after):
                print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
