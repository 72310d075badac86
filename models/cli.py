"""``streetorder models synth | scenarios | train | export | eval``.

Argument definitions only at import time: numpy, OpenCV, torch and ultralytics are imported by
the handlers, so ``streetorder --help`` stays fast and the edge never loads them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from streetorder.errors import StreetorderError

DEFAULT_SEED = 20261122
#: The scenario sets of ``streetorder.models.synth.scenarios.SETS`` (a test keeps them equal).
SCENARIO_SETS = ("smoke", "test", "heldout", "streets", "streets-heldout", "review")


def register(subparsers) -> None:
    models = subparsers.add_parser(
        "models",
        help="synthetic street scenes, scenario videos, detector training/export/evaluation",
        description="Make data, train, export and evaluate the street-object detector.",
    )
    sub = models.add_subparsers(dest="models_command", metavar="SUBCOMMAND", required=True)
    _add_synth(sub)
    _add_scenarios(sub)
    _add_train(sub)
    _add_export(sub)
    _add_eval(sub)
    _add_heldout(sub)
    from streetorder.models.chain.cli import add_chain

    add_chain(sub)
    try:
        from streetorder.models.feedback.cli import add_export_reviews
    except ModuleNotFoundError as exc:  # the feedback part is optional
        if not (exc.name or "").startswith("streetorder.models.feedback"):
            raise
    else:
        add_export_reviews(sub)


# ----------------------------------------------------------------------------- synth


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT, e.g. 640x360") from None
    if not (32 <= w <= 4096 and 32 <= h <= 4096):
        raise argparse.ArgumentTypeError(f"{text!r}: width and height must be 32..4096")
    return w, h


def _add_synth(sub) -> None:
    p = sub.add_parser(
        "synth",
        help="generate a labelled YOLO image data set of synthetic street scenes",
        description=(
            "Seeded, deterministic street scenes in YOLO format: train and val from the "
            "training domain, test from the held-out domain (other facades, camera yaw bins, "
            "lighting). Writes images/, labels/, meta/, data.yaml and generator.json."
        ),
    )
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"default {DEFAULT_SEED}")
    p.add_argument("--train", type=int, default=3000, help="train images (default 3000)")
    p.add_argument("--val", type=int, default=300, help="val images (default 300)")
    p.add_argument("--test", type=int, default=300, help="held-out test images (default 300)")
    p.add_argument("--size", type=_size, default=(640, 360), help="WIDTHxHEIGHT, default 640x360")
    p.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    p.add_argument(
        "--balanced",
        action="store_true",
        help="over-sample racks, tables and stalls in train/val (test keeps the natural mix)",
    )
    p.set_defaults(func=_synth)


def _synth(args: argparse.Namespace) -> int:
    from streetorder.models.synth.dataset import write_dataset

    counts = {"train": args.train, "val": args.val, "test": args.test}
    if any(n < 0 for n in counts.values()) or not any(counts.values()):
        raise StreetorderError("image counts must be >= 0 and at least one must be > 0")
    counts = {k: v for k, v in counts.items() if v > 0}
    w, h = args.size
    data = write_dataset(
        args.out, args.seed, counts, w, h, workers=max(1, args.workers), balanced=args.balanced
    )
    print(f"data set: {data}")
    return 0


# ----------------------------------------------------------------------------- scenarios


def _add_scenarios(sub) -> None:
    p = sub.add_parser(
        "scenarios",
        help="generate scenario videos with ground truth and edge configs",
        description=(
            "Writes <name>.mp4 (H.264, 5 fps), <name>.truth.json (per-frame boxes and violation "
            "episodes), <name>.yaml (an edge node config watching the scenario's frontage "
            "zones) and index.json. Sets: smoke (4 short videos, seconds to make), test (all "
            "scenarios, training domain), heldout (all scenarios, held-out domain)."
        ),
    )
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--set", dest="set_name", choices=SCENARIO_SETS, default="smoke")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"default {DEFAULT_SEED}")
    p.add_argument("--only", nargs="+", metavar="NAME", help="only these scenarios of the set")
    p.add_argument(
        "--fps",
        type=int,
        default=5,
        choices=range(1, 31),
        metavar="N",
        help="frames per second of the videos (default 5; 1 renders 5x faster for benchmarks)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_scenarios)


def _scenarios(args: argparse.Namespace) -> int:
    from streetorder.models.synth.video import write_set

    try:
        entries = write_set(
            args.out,
            args.set_name,
            args.seed,
            progress=not args.quiet,
            only=args.only,
            fps=args.fps,
        )
    except ValueError as exc:
        raise StreetorderError(str(exc)) from None
    for e in entries:
        print(f"{e['name']}: {e['video']}, {e['episodes']} violation episode(s)")
    print(f"index: {Path(args.out) / 'index.json'}")
    return 0


# ----------------------------------------------------------------------------- train


def _add_train(sub) -> None:
    p = sub.add_parser(
        "train",
        help="train the detector from a model YAML on the CPU (no pretrained weights)",
        description=(
            "Ultralytics training from scratch (nothing is downloaded). Mix in your own "
            "YOLO-format data set (e.g. labelled real footage or 'models export-reviews') "
            "with --extra-data; its class names must be the detector's vocabulary."
        ),
    )
    p.add_argument("--data", type=Path, required=True, help="data YAML (from 'models synth')")
    p.add_argument(
        "--extra-data", type=Path, action="append", default=[], help="another YOLO data YAML"
    )
    p.add_argument("--model", default="yolo11n.yaml", help="model YAML (default yolo11n.yaml)")
    p.add_argument("--weights", type=Path, help="start from these .pt weights (fine-tuning)")
    p.add_argument("--imgsz", type=int, default=320, help="input size (default 320)")
    p.add_argument("--epochs", type=int, default=100, help="epochs (default 100)")
    p.add_argument("--time", type=float, help="wall-clock budget in hours (overrides --epochs)")
    p.add_argument("--batch", type=int, default=32, help="batch size (default 32)")
    p.add_argument("--workers", type=int, default=2, help="data loader workers (default 2)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"default {DEFAULT_SEED}")
    p.add_argument("--cache", choices=("none", "ram", "disk"), default="none", help="image cache")
    p.add_argument("--patience", type=int, default=100, help="early-stop patience (epochs)")
    p.add_argument("--close-mosaic", type=int, default=10, help="last epochs without mosaic")
    p.add_argument(
        "--rect", action="store_true", help="rectangular batches (no mosaic/shuffle; faster)"
    )
    p.add_argument("--warmup-epochs", type=float, default=3.0, help="warm-up epochs (default 3)")
    p.add_argument(
        "--optimizer",
        choices=("auto", "SGD", "AdamW", "Adam"),
        default="auto",
        help="optimizer (default auto: Ultralytics picks by run length)",
    )
    p.add_argument("--lr0", type=float, help="initial learning rate (needs --optimizer)")
    p.add_argument(
        "--nbs",
        type=int,
        default=64,
        help="nominal batch: gradients are summed over nbs/batch batches per step (default 64)",
    )
    p.add_argument(
        "--bf16",
        action="store_true",
        help="bfloat16 mixed precision (CPUs with AVX-512 BF16 or AMX; faster steps)",
    )
    p.add_argument(
        "--device", default="cpu", help="cpu (default) or cuda:N (Ultralytics' own trainer)"
    )
    p.add_argument(
        "--freeze", type=int, default=0, help="fine-tuning: keep the first N layers (default 0)"
    )
    p.add_argument(
        "--data-repeat", type=int, default=1,
        help="list --data's training images N times (a small review export beside --extra-data)",
    )  # fmt: skip
    p.add_argument("--project", type=Path, default=Path("runs/models"), help="output root")
    p.add_argument("--name", default="train", help="run name under --project")
    p.set_defaults(func=_train)


def _train(args: argparse.Namespace) -> int:
    from streetorder.models.training import train

    weights = train(
        data=args.data,
        extra_data=args.extra_data,
        model=args.model,
        weights=args.weights,
        imgsz=args.imgsz,
        epochs=args.epochs,
        hours=args.time,
        batch=args.batch,
        workers=args.workers,
        seed=args.seed,
        project=args.project,
        name=args.name,
        cache=False if args.cache == "none" else args.cache,
        patience=args.patience,
        close_mosaic=args.close_mosaic,
        rect=args.rect,
        warmup_epochs=args.warmup_epochs,
        optimizer=args.optimizer,
        lr0=args.lr0,
        nbs=args.nbs,
        bf16=args.bf16,
        device=args.device,
        freeze=args.freeze,
        data_repeat=args.data_repeat,
    )
    print(f"weights: {weights}")
    return 0


# ----------------------------------------------------------------------------- export


def _add_export(sub) -> None:
    p = sub.add_parser(
        "export",
        help="export weights to ONNX with a manifest (the bundled model by default)",
        description=(
            "Exports .pt weights to ONNX (class names and input size in the metadata), checks "
            "that onnxruntime runs it, and writes manifest.json next to it."
        ),
    )
    p.add_argument("--weights", type=Path, required=True, help="Ultralytics .pt weights")
    p.add_argument("--out", type=Path, help="output folder (default: models/bootstrap)")
    p.add_argument(
        "--imgsz",
        type=_input_size,
        help="input size: a side (320) or WIDTHxHEIGHT (416x256); default: the training size",
    )
    p.add_argument("--opset", type=int, default=17, help="ONNX opset (default 17)")
    p.add_argument("--version", help="model version (default: date + weights hash)")
    p.add_argument("--train-command", help="recorded in the manifest (default: from args.yaml)")
    p.add_argument("--data-dir", type=Path, help="data set folder (generator.json is recorded)")
    p.set_defaults(func=_export)


def _input_size(text: str) -> int | tuple[int, int]:
    """'320' → 320; '416x256' (width x height) → (256, 416), the (height, width) of the input."""
    if "x" in text.lower():
        w, h = _size(text)
        return (h, w)
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give a side (320) or WIDTHxHEIGHT (416x256)"
        ) from None


def _export(args: argparse.Namespace) -> int:
    from streetorder.models.export import export_onnx

    manifest = export_onnx(
        weights=args.weights,
        out_dir=args.out,
        imgsz=args.imgsz,
        opset=args.opset,
        version=args.version,
        train_command=args.train_command,
        data_dir=args.data_dir,
    )
    print(f"model: {manifest['path']} ({manifest['size_bytes'] / 1e6:.1f} MB)")
    print(f"version {manifest['version']}, sha256 {manifest['sha256'][:16]}...")
    return 0


# ----------------------------------------------------------------------------- eval


def _add_eval(sub) -> None:
    p = sub.add_parser(
        "eval",
        help="mAP per class on a split and ONNX latency (onnxruntime alone)",
        description=(
            "mAP50 and mAP50-95 overall and per class (Ultralytics val on the ONNX model) on a "
            "split (default: the held-out test split), onnxruntime latency per frame, and "
            "recall at the edge's score by class x object size and by lighting. "
            "Writes eval.json, eval.png and eval-recall.png."
        ),
    )
    p.add_argument("--model", type=Path, help="ONNX model (default: the bundled one)")
    p.add_argument("--data", type=Path, required=True, help="data YAML")
    p.add_argument("--split", default="test", choices=("train", "val", "test"))
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--threads", type=int, default=2, help="onnxruntime threads (default 2)")
    p.add_argument("--latency-runs", type=int, default=200, help="timed runs (default 200)")
    p.add_argument("--batch", type=int, default=16, help="val batch size (default 16)")
    p.set_defaults(func=_eval)


def _add_heldout(sub) -> None:
    p = sub.add_parser(
        "heldout",
        help="held-out benchmark: mAP50 per class over several generator seeds, 95 %% intervals",
        description=(
            "Generates the held-out test split of each seed once (into --cache), runs the ONNX "
            "model with the edge's detector code and reports mAP50 / mAP50-95 per class pooled "
            "over every image, a bootstrap 95 % interval, the spread over seeds, mAP50 by "
            "lighting and recall by object size. Never choose models or thresholds on it."
        ),
    )
    p.add_argument("--model", type=Path, help="ONNX model (default: the bundled one)")
    p.add_argument("--seeds", default="101-105", help="generator seeds, e.g. 101-105 or 7,9")
    p.add_argument("--images", type=int, default=200, help="held-out images per seed (200)")
    p.add_argument("--cache", type=Path, default=Path("runs/heldout-data"), help="data cache")
    p.add_argument("--out", type=Path, required=True, help="output folder (heldout.json)")
    p.add_argument("--draws", type=int, default=300, help="bootstrap resamplings (300)")
    p.set_defaults(func=_heldout)


def _seed_list(text: str) -> list[int]:
    seeds: list[int] = []
    try:
        for part in text.split(","):
            a, _, b = part.strip().partition("-")
            seeds += list(range(int(a), int(b or a) + 1))
    except ValueError:
        raise StreetorderError(f"--seeds {text!r}: give e.g. 101-105 or 101,103") from None
    return seeds


def _heldout(args: argparse.Namespace) -> int:
    from streetorder.contracts.model_bundle import bundled_model_path
    from streetorder.models.heldout import benchmark

    if args.images < 1 or args.draws < 1:
        raise StreetorderError("--images and --draws must be at least 1")
    model = args.model or bundled_model_path()
    r = benchmark(model, _seed_list(args.seeds), args.images, args.cache, args.out, args.draws)
    print(f"{r['images']} images, {r['objects']} objects, seeds {r['seeds']}")
    lo, hi = r["mAP50_all_95ci"] or (None, None)
    print(f"mAP50 (mean of classes) {r['mAP50_all']}  95 % {lo}-{hi}")
    for name, row in r["per_class"].items():
        ci = row["mAP50_95ci"]
        print(
            f"  {name:12s} mAP50 {row['mAP50']:.3f} ({ci[0]:.3f}-{ci[1]:.3f})  n={row['instances']}"
        )
    from streetorder.models.heldout import markdown

    (Path(args.out) / "heldout.md").write_text(markdown(r), encoding="utf-8")
    print(f"report: {Path(args.out) / 'heldout.json'} and heldout.md")
    return 0


def _eval(args: argparse.Namespace) -> int:
    from streetorder.contracts.model_bundle import bundled_model_path
    from streetorder.models.evaluate import evaluate

    model = args.model or bundled_model_path()
    report = evaluate(
        model, args.data, args.split, args.out, args.threads, args.latency_runs, args.batch
    )
    print(f"mAP50 {report['overall']['mAP50']:.3f}  mAP50-95 {report['overall']['mAP50-95']:.3f}")
    for name, row in report["per_class"].items():
        if row["mAP50"] is None:
            print(f"  {name:12s} (no instances in this split)")
        else:
            print(f"  {name:12s} mAP50 {row['mAP50']:.3f}  mAP50-95 {row['mAP50-95']:.3f}")
    lat = report["latency_ms"]
    print(f"ONNX latency ({lat['threads']} threads): median {lat['median']:.2f} ms")
    misses = report["recall_breakdown"]
    light = ", ".join(f"{k} {v['recall']:.2f}" for k, v in misses["by_lighting"].items())
    if light:
        print(f"recall at score >= {misses['score_threshold']} by lighting: {light}")
    for name, row in misses["missed_as"].items():
        if row:
            print(f"  {name:12s} missed: " + ", ".join(f"{k} {v}" for k, v in row.items()))
    print(f"report: {Path(args.out) / 'eval.json'}")
    return 0
