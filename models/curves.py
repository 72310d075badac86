"""The training curve of a run as a picture: losses and validation mAP per epoch."""

from __future__ import annotations

import csv
from pathlib import Path

from streetorder.errors import StreetorderError

TARGET_MAP50 = 0.90


def read_results(path: Path) -> dict[str, list[float]]:
    """Columns of an Ultralytics ``results.csv`` (names stripped), as floats."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = [{k.strip(): v for k, v in row.items()} for row in csv.DictReader(fh)]
    except OSError as exc:
        raise StreetorderError(f"{path}: cannot read the training results: {exc}") from None
    if not rows:
        raise StreetorderError(f"{path}: no finished epoch yet")
    return {k: [float(r[k]) for r in rows] for k in rows[0] if k}


def plot_training(results_csv: Path, out_png: Path, title: str = "") -> Path:
    """Two panels: train/val losses, and val precision/recall/mAP against the target."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = read_results(Path(results_csv))
    epochs = cols["epoch"]
    fig, (loss_ax, map_ax) = plt.subplots(1, 2, figsize=(11, 4), dpi=100)
    for colour, name in zip(("C0", "C1", "C2"), ("box_loss", "cls_loss", "dfl_loss"), strict=True):
        for split, style in (("train", "-"), ("val", "--")):
            key = f"{split}/{name}"
            if key in cols:
                loss_ax.plot(epochs, cols[key], style, color=colour, label=key)
    loss_ax.set_xlabel("epoch")
    loss_ax.set_title("losses")
    loss_ax.legend(fontsize=7)
    for key, label in (
        ("metrics/mAP50(B)", "mAP50"),
        ("metrics/mAP50-95(B)", "mAP50-95"),
        ("metrics/precision(B)", "precision"),
        ("metrics/recall(B)", "recall"),
    ):
        if key in cols:
            map_ax.plot(epochs, cols[key], label=label)
    map_ax.axhline(TARGET_MAP50, color="red", linestyle="--", linewidth=1, label="target mAP50")
    map_ax.set_ylim(0, 1)
    map_ax.set_xlabel("epoch")
    map_ax.set_title("validation")
    map_ax.legend(fontsize=7, loc="lower right")
    hours = cols.get("time", [0.0])[-1] / 3600
    fig.suptitle(title or f"{len(epochs)} epochs, {hours:.2f} h")
    fig.tight_layout()
    out_png = Path(out_png)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_png)
    plt.close(fig)
    return out_png
