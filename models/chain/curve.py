"""The whole chain's training curve: every recorded run's validation mAP50 over wall-clock hours."""

from __future__ import annotations

from pathlib import Path

from streetorder.models.chain.manifest import Chain, read_record
from streetorder.models.curves import TARGET_MAP50, read_results


def plot_chain(chain: Chain, out_png: Path, start_map50: float | None = None) -> Path | None:
    """One line per stage run, placed end to end in training hours; None when nothing ran yet.
    ``start_map50``: the start weights' validation mAP50 on the chain's data, drawn at hour 0."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4), dpi=100)
    offset, drawn = 0.0, 0
    if start_map50 is not None:
        ax.plot([0], [start_map50], "ko", label=f"start weights {start_map50:.3f}")
    for stage in chain.stages:
        rec = read_record(chain, stage.name)
        for n, _run in enumerate((rec or {}).get("runs", []), 1):
            csv = chain.records / f"{stage.name}.run{n}.results.csv"
            if not csv.is_file():
                continue
            cols = read_results(csv)
            hours = [offset + t / 3600 for t in cols["time"]]
            ax.plot(hours, cols["metrics/mAP50(B)"], "o-", ms=3, label=f"{stage.name} run {n}")
            ax.axvline(offset, color="grey", linewidth=0.5)
            offset = hours[-1]
            drawn += 1
    if not drawn:
        plt.close(fig)
        return None
    ax.axhline(TARGET_MAP50, color="red", linestyle="--", linewidth=1, label="target (held-out)")
    ax.set_xlabel("training hours (wall clock, this machine)")
    ax.set_ylabel("validation mAP50 (training domain)")
    ax.set_ylim(0.5, 1.0)
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(f"{chain.name}: training chain")
    fig.tight_layout()
    out_png = Path(out_png)
    fig.savefig(out_png)
    plt.close(fig)
    return out_png
