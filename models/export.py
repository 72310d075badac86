"""Export trained weights to ONNX and write the bundle manifest next to it.

The ONNX file carries Ultralytics' metadata (class names, input size, stride); the export is
checked by loading it in onnxruntime and comparing its class names with the vocabulary. The
manifest records what the edge reports (name, version) and how to rebuild the model.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from streetorder.contracts.model_bundle import MANIFEST_FILE, MODEL_FILE, bundled_dir, read_manifest
from streetorder.errors import StreetorderError
from streetorder.models.training import offline_environment
from streetorder.vocabulary import CLASS_NAMES

MODEL_NAME = "streetorder-det"
MAX_BUNDLE_BYTES = 12 * 1024 * 1024


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _stable_copy(src: Path, dst: Path, tries: int = 5) -> None:
    """Copy weights that a running training may be rewriting: retry until two reads agree."""
    for _ in range(tries):
        before = src.stat()
        shutil.copy2(src, dst)
        after = src.stat()
        if (before.st_mtime_ns, before.st_size) == (after.st_mtime_ns, after.st_size):
            return
        time.sleep(2.0)
    raise StreetorderError(f"{src}: keeps changing while copied; try again")


def train_command(args: dict[str, Any]) -> str:
    """The ``streetorder models train`` command equivalent to a run's Ultralytics args."""
    parts = ["streetorder models train", f"--data {args.get('data')}"]
    model = str(args.get("model"))
    if model.endswith(".pt"):  # a continued run starts from these weights
        parts.append(f"--weights {model}")
    else:
        parts.append(f"--model {_model_ref(model)}")
    parts.append(f"--imgsz {args.get('imgsz')}")
    parts.append(f"--epochs {args.get('epochs')}")
    if args.get("time"):
        parts.append(f"--time {args.get('time')}")
    parts += [f"--batch {args.get('batch')}", f"--workers {args.get('workers')}"]
    parts.append(f"--seed {args.get('seed')}")
    cache = args.get("cache")
    if cache and cache is not True:
        parts.append(f"--cache {cache}")
    elif cache is True:
        parts.append("--cache ram")
    parts.append(f"--patience {args.get('patience')}")
    parts.append(f"--close-mosaic {args.get('close_mosaic')}")
    if args.get("rect"):
        parts.append("--rect")
    if args.get("warmup_epochs") not in (None, 3.0):
        parts.append(f"--warmup-epochs {args.get('warmup_epochs')}")
    if args.get("optimizer") not in (None, "auto"):
        parts.append(f"--optimizer {args.get('optimizer')} --lr0 {args.get('lr0')}")
    if args.get("nbs") not in (None, 64):
        parts.append(f"--nbs {args.get('nbs')}")
    if args.get("amp") == "bf16":
        parts.append("--bf16")
    return " ".join(parts)


def _model_ref(model: str) -> str:
    """A model YAML as the command should name it: the committed copy under models/configs/
    when one has the same file name, else as given (e.g. an Ultralytics built-in)."""
    name = Path(model).name
    committed = Path(__file__).resolve().parent / "configs" / name
    return f"models/configs/{name}" if committed.is_file() else model


def _generator_info(data_dir: Path | None, data_yaml: str | None) -> dict[str, Any] | None:
    candidates = []
    if data_dir is not None:
        candidates.append(Path(data_dir) / "generator.json")
    if data_yaml:
        candidates.append(Path(data_yaml).parent / "generator.json")
    for c in candidates:
        if c.is_file():
            info = json.loads(c.read_text(encoding="utf-8"))
            counts = info.get("counts", {})
            w, h = info.get("image_size", [640, 360])
            info["command"] = (
                f"streetorder models synth --out {c.parent} --seed {info.get('seed')} "
                f"--train {counts.get('train', 0)} --val {counts.get('val', 0)} "
                f"--test {counts.get('test', 0)} --size {w}x{h}"
            )
            return info
    return None


def check_onnx(path: Path, shape: tuple[int, int]) -> dict[str, Any]:
    """Load in onnxruntime, run one zero (height, width) frame, check shapes and class names."""
    import ast

    import numpy as np
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    meta = sess.get_modelmeta().custom_metadata_map
    names = ast.literal_eval(meta.get("names", "{}"))
    if [names[k] for k in sorted(names)] != list(CLASS_NAMES):
        raise StreetorderError(f"{path}: class names {names} differ from the vocabulary")
    inp = sess.get_inputs()[0]
    x = np.zeros((1, 3, *shape), np.float32)
    out = sess.run(None, {inp.name: x})[0]
    if out.shape[1] != 4 + len(CLASS_NAMES):
        raise StreetorderError(f"{path}: output shape {out.shape} is not (1, 4+classes, N)")
    return {"input": inp.name, "input_shape": list(inp.shape), "output_shape": list(out.shape)}


def export_onnx(
    weights: Path,
    out_dir: Path | None = None,
    imgsz: int | tuple[int, int] | None = None,
    opset: int = 17,
    version: str | None = None,
    train_command: str | None = None,
    data_dir: Path | None = None,
) -> dict[str, Any]:
    """Export ``weights`` to ``out_dir/streetorder-det.onnx`` + ``manifest.json``.

    ``imgsz`` is a square side or a (height, width) input, e.g. (256, 416) for 16:9 cameras: the
    network is fully convolutional, so one set of weights serves any stride-32 input.
    """
    weights = Path(weights)
    if not weights.is_file():
        raise StreetorderError(f"{weights}: weights file not found")
    out_dir = Path(out_dir) if out_dir is not None else bundled_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="so-export-") as tmp:
        offline_environment(Path(tmp))
        from ultralytics import YOLO
        from ultralytics import __version__ as ul_version

        local = Path(tmp) / "weights.pt"
        _stable_copy(weights, local)
        net = YOLO(str(local))
        ckpt = net.ckpt or {}
        args = dict(ckpt.get("train_args") or {})
        shape = input_shape(imgsz or args.get("imgsz") or 320)
        exported = Path(
            net.export(
                format="onnx",
                imgsz=list(shape),
                opset=opset,
                simplify=True,
                dynamic=False,
                nms=False,
                half=False,
                device="cpu",
            )
        )
        info = check_onnx(exported, shape)
        target = out_dir / MODEL_FILE
        shutil.copyfile(exported, target)
    size = target.stat().st_size
    if size > MAX_BUNDLE_BYTES:
        raise StreetorderError(f"{target}: {size / 1e6:.1f} MB exceeds the 12 MB bundle limit")
    digest = sha256_file(target)
    now = datetime.now(UTC)
    epoch = ckpt.get("epoch")
    manifest: dict[str, Any] = {
        "name": MODEL_NAME,
        "version": version or f"{now:%Y.%m.%d}-{digest[:8]}",
        "file": MODEL_FILE,
        "sha256": digest,
        "size_bytes": size,
        "classes": list(CLASS_NAMES),
        "imgsz": shape[0] if shape[0] == shape[1] else list(shape),
        "input": info["input"],
        "input_shape": info["input_shape"],
        "output_shape": info["output_shape"],
        "format": "onnx",
        "opset": opset,
        "task": "detect",
        "exported_at": now.isoformat(timespec="seconds"),
        "exported_with": {"ultralytics": ul_version},
        "training": {
            "command": train_command or train_command_from(args),
            "architecture": Path(str(args.get("model", "?"))).name,
            "seed": args.get("seed"),
            "epochs_completed": _epochs_completed(weights, epoch),
            "weights_file": weights.name,
            "pretrained": bool(args.get("pretrained", False)),
            "device": "cpu",
            "started_from": _started_from(str(args.get("model", ""))),
        },
        "data": _generator_info(data_dir, args.get("data")),
    }
    (out_dir / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    _copy_training_record(weights, out_dir)
    return {**manifest, "path": str(target)}


def input_shape(imgsz: int | tuple[int, int] | list[int]) -> tuple[int, int]:
    """(height, width) of a square side or a (height, width) pair; both multiples of 32."""
    h, w = (imgsz, imgsz) if isinstance(imgsz, int) else (int(imgsz[0]), int(imgsz[1]))
    if h < 32 or w < 32 or h % 32 or w % 32:
        raise StreetorderError(f"--imgsz: {w}x{h} must be multiples of 32 (the network's stride)")
    return h, w


def _started_from(model: str) -> dict[str, Any] | None:
    """For a run continued from .pt weights: how those weights were made (a chain of stages),
    from the manifest beside them (read before this export replaces it, if it is the bundle)."""
    if not model.endswith(".pt"):
        return None
    try:
        manifest = read_manifest(Path(model).parent / MANIFEST_FILE)
    except StreetorderError:  # weights without a (valid) manifest beside them
        return {"weights": model}
    training = manifest.get("training", {})
    return {
        "weights": model,
        "version": manifest.get("version"),
        "command": training.get("command"),
        "epochs_completed": training.get("epochs_completed"),
        "started_from": training.get("started_from"),
    }


def _copy_training_record(weights: Path, out_dir: Path) -> None:
    """The run's per-epoch results and their picture go with the exported model."""
    results = weights.resolve().parent.parent / "results.csv"
    if not results.is_file():
        return
    from streetorder.models.curves import plot_training

    shutil.copyfile(results, out_dir / "training-results.csv")
    plot_training(results, out_dir / "training-curve.png")


def train_command_from(args: dict[str, Any]) -> str | None:
    return train_command(args) if args else None


def _epochs_completed(weights: Path, epoch: int | None) -> int | None:
    """Rows of the run's results.csv (one per finished epoch), else the checkpoint's epoch."""
    results = weights.resolve().parent.parent / "results.csv"
    if results.is_file():
        rows = [r for r in results.read_text(encoding="utf-8").splitlines()[1:] if r.strip()]
        return len(rows)
    return epoch + 1 if isinstance(epoch, int) and epoch >= 0 else None
