"""Detector training on the CPU with Ultralytics, from a model YAML (no pretrained weights).

Nothing is downloaded: the network is built from its YAML, float16 AMP (whose check fetches
weights) and plots (which fetch a font) are off — ``--bf16`` needs no such check — and
Ultralytics' settings live under the run folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from streetorder.errors import StreetorderError
from streetorder.vocabulary import CLASS_NAMES


def offline_environment(project: Path) -> None:
    """Keep Ultralytics' settings inside ``project`` and stop it from reaching the network."""
    os.environ.setdefault("YOLO_CONFIG_DIR", str(Path(project).resolve() / ".ultralytics"))
    os.environ.setdefault("YOLO_OFFLINE", "1")


def read_data_yaml(path: Path) -> dict[str, Any]:
    """A YOLO data YAML with absolute split paths; checks the class names are ours."""
    import yaml

    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StreetorderError(f"{path}: data YAML not found") from None
    except (OSError, yaml.YAMLError) as exc:
        raise StreetorderError(f"{path}: cannot read the data YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise StreetorderError(f"{path}: a data YAML must be a mapping")
    names = raw.get("names")
    if isinstance(names, dict):
        names = [names[k] for k in sorted(names)]
    if list(names or []) != list(CLASS_NAMES):
        raise StreetorderError(
            f"{path}: names: must be the detector's classes in order ({', '.join(CLASS_NAMES)}), "
            f"got {names!r}"
        )
    root = Path(raw.get("path") or path.parent)
    if not root.is_absolute():
        root = (path.parent / root).resolve()
    out: dict[str, Any] = {"path": str(root), "names": dict(enumerate(CLASS_NAMES))}
    for split in ("train", "val", "test"):
        value = raw.get(split)
        if value is None:
            continue
        items = value if isinstance(value, list) else [value]
        resolved = []
        for item in items:
            p = Path(item)
            p = p if p.is_absolute() else root / p
            if not p.exists():
                raise StreetorderError(f"{path}: {split}: {p} does not exist")
            resolved.append(str(p))
        out[split] = resolved
    if "train" not in out or "val" not in out:
        raise StreetorderError(f"{path}: needs both 'train' and 'val'")
    return out


def label_path(image: Path) -> Path:
    """The YOLO label file of an image: ``images/<split>/x.jpg`` → ``labels/<split>/x.txt``."""
    return Path(str(image).replace("/images/", "/labels/")).with_suffix(".txt")


IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


def train_images(entries: list[str]) -> list[str]:
    """The image files of a data YAML's ``train`` entries (folders or list files)."""
    out: list[str] = []
    for entry in entries:
        p = Path(entry)
        if p.is_dir():
            out += sorted(str(f) for f in p.rglob("*") if f.suffix.lower() in IMAGE_SUFFIXES)
        else:
            lines = p.read_text(encoding="utf-8-sig").splitlines()
            out += [x.replace("./", f"{p.parent}/", 1) if x.startswith("./") else x for x in lines]
    return [x for x in out if x.strip()]


def merged_data_yaml(data: Path, extra: list[Path], out_dir: Path, data_repeat: int = 1) -> Path:
    """One data YAML whose train/val/test lists are the union of ``data`` and ``extra``.

    ``data_repeat`` > 1 lists ``data``'s training images that many times (a list file), so a
    small set (a review export) weighs more beside a large synthetic one.
    """
    import yaml

    if data_repeat < 1:
        raise StreetorderError(f"--data-repeat must be at least 1, not {data_repeat}")
    if not extra and data_repeat == 1:
        read_data_yaml(data)  # validate only
        return Path(data)
    merged = read_data_yaml(data)
    out_dir.mkdir(parents=True, exist_ok=True)
    if data_repeat > 1:
        listing = out_dir / "train-repeated.txt"
        images = train_images(merged["train"])
        listing.write_text("".join(f"{x}\n" for x in images * data_repeat), encoding="utf-8")
        merged["train"] = [str(listing)]
    for other in extra:
        more = read_data_yaml(other)
        for split in ("train", "val", "test"):
            if split in more:
                merged.setdefault(split, [])
                merged[split] += [p for p in more[split] if p not in merged[split]]
    target = out_dir / "data-merged.yaml"
    target.write_text(yaml.safe_dump(merged, sort_keys=False), encoding="utf-8")
    return target


def train(
    data: Path,
    extra_data: list[Path],
    model: str = "yolo11n.yaml",
    weights: Path | None = None,
    imgsz: int = 320,
    epochs: int = 100,
    hours: float | None = None,
    batch: int = 32,
    workers: int = 2,
    seed: int = 0,
    project: Path = Path("runs/models"),
    name: str = "train",
    cache: str | bool = False,
    patience: int = 100,
    close_mosaic: int = 10,
    rect: bool = False,
    warmup_epochs: float = 3.0,
    optimizer: str = "auto",
    lr0: float | None = None,
    nbs: int = 64,
    bf16: bool = False,
    device: str = "cpu",
    save_period: int = -1,
    report: dict[str, Any] | None = None,
    freeze: int = 0,
    data_repeat: int = 1,
) -> Path:
    """Train and return the best weights' path. ``bf16``: bfloat16 mixed precision (CPUs with
    native bfloat16 arithmetic, e.g. AVX-512 BF16). ``device``: "cpu" (this project's CPU
    trainer) or a CUDA device ("cuda:0", Ultralytics' own trainer); ``save_period``: keep a
    checkpoint every N epochs besides ``last.pt``; ``report``: filled with the epochs run and
    the final validation's mAP50 per class; ``freeze``: keep the first N layers of the network
    as they are (a fine-tune of the head); ``data_repeat``: see :func:`merged_data_yaml`."""
    project = Path(project).resolve()
    offline_environment(project)
    data_yaml = merged_data_yaml(
        Path(data), [Path(p) for p in extra_data], project / name, data_repeat=data_repeat
    )
    if weights is not None and not Path(weights).is_file():
        raise StreetorderError(f"{weights}: weights file not found")
    if lr0 is not None and optimizer == "auto":
        raise StreetorderError("--lr0 needs --optimizer (auto chooses its own learning rate)")
    if nbs < 1:
        raise StreetorderError(f"--nbs must be at least 1, not {nbs}")
    if bf16 and device == "cpu":
        from streetorder.models.cpu_trainer import cpu_has_native_bf16

        if not cpu_has_native_bf16():
            raise StreetorderError("--bf16 needs a CPU with native bfloat16 (AVX-512 BF16 or AMX)")
    if weights is None and not str(model).endswith((".yaml", ".yml")):
        raise StreetorderError(f"{model}: give a model YAML (e.g. yolo11n.yaml); no download")
    from ultralytics import YOLO

    net = YOLO(str(weights) if weights is not None else model)
    kwargs: dict[str, Any] = dict(
        data=str(data_yaml),
        imgsz=imgsz,
        epochs=epochs,
        batch=batch,
        workers=workers,
        device=device.removeprefix("cuda:") if device.startswith("cuda") else device,
        save_period=save_period,
        pretrained=weights is not None,
        amp="bf16" if bf16 else False,
        plots=False,
        project=str(project),
        name=name,
        exist_ok=True,
        seed=seed,
        deterministic=False,
        cache=cache,
        patience=patience,
        close_mosaic=close_mosaic,
        rect=rect,
        warmup_epochs=warmup_epochs,
        optimizer=optimizer,
        nbs=nbs,
        val=True,
    )
    if freeze:
        kwargs["freeze"] = freeze
    if lr0 is not None:
        kwargs["lr0"] = lr0
    if hours is not None:
        kwargs["time"] = hours
    if device == "cpu":
        from streetorder.models.cpu_trainer import CpuTrainer

        net.train(trainer=CpuTrainer, **kwargs)
    else:
        net.train(**kwargs)
    results = project / name / "results.csv"
    if results.is_file():
        from streetorder.models.curves import plot_training

        print(f"training curve: {plot_training(results, results.with_name('training-curve.png'))}")
    if report is not None:
        report.update(_trainer_report(net.trainer))
    best = Path(net.trainer.best)
    return best if best.is_file() else Path(net.trainer.last)


def _trainer_report(trainer: Any) -> dict[str, Any]:
    """Epochs run and planned, and the final validation's mAP50 per class (by name)."""
    out: dict[str, Any] = {
        "epochs_completed": int(trainer.epoch) + 1,
        "epochs_planned": trainer.epochs,
    }
    box = getattr(getattr(trainer.validator, "metrics", None), "box", None)
    if box is not None and len(getattr(box, "ap_class_index", [])):
        out["val_map50_per_class"] = {
            CLASS_NAMES[int(c)]: round(float(box.ap50[i]), 4)
            for i, c in enumerate(box.ap_class_index)
        }
        out["val_map50"] = round(float(box.map50), 4)
        out["val_map50_95"] = round(float(box.map), 4)
    return out
