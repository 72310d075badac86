"""Run the next stage of the training chain, snapshot a running one, or reproduce the chain.

A stage trains with ``models.training.train`` from its start weights on its generated data (the
chain's, or its own override), within its wall-clock budget on the CPU (Ultralytics' ``time``,
which fits the epochs and the learning-rate schedule to the budget) or for its recorded epochs on
a GPU. When it ends, its checkpoint (optimizer stripped, a few MB) goes to
``models/chain/weights/<stage>.pt`` and its record to ``models/chain/stages/<stage>.json``;
committing both lets the next session continue.
A stage cut short by the end of a session is snapshotted as *partial*: the next ``run`` trains it
again from the snapshot for the rest of its budget (a warm restart: the optimizer state is not
kept, so it is not the bit-identical continuation of the cut run). A stage keeps the best
checkpoint of its runs on the val split: a warm restart that ends below the checkpoint it
started from is recorded (its cost and its val mAP50) but does not replace that checkpoint.
"""

from __future__ import annotations

import json
import math
import os
import resource
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from streetorder.errors import StreetorderError
from streetorder.models.chain.manifest import (
    REPO_ROOT,
    Chain,
    StageSpec,
    next_stage,
    read_record,
    sha256_of,
    start_weights,
    write_record,
)

FINAL_EVAL_HOURS = 0.1  # kept free at the end of a time box for Ultralytics' final validation
MIN_HOURS = 0.05
MARKER = "chain-run.json"  # in a running stage's folder: what a snapshot needs to know

# the keys a stage record's writer sets on every run; any other key is kept as it was
_RUNNER_FIELDS = frozenset({
    "stage", "status", "why", "seed", "start_weights", "data", "architecture", "checkpoint",
    "epochs_completed", "wall_hours", "cpu_hours", "metrics", "results_csv", "curve_png",
    "curve_error", "runs",
})  # fmt: skip


def data_folder(
    chain: Chain, root: Path = Path("runs/chain"), stage: StageSpec | None = None
) -> Path:
    """The folder of ``stage``'s data (its ``data`` override, else the chain's)."""
    spec = chain.data_of(stage)
    return Path(root) / f"data-{spec.generator_version}-{spec.seed}"


def ensure_data(chain: Chain, root: Path, stage: StageSpec | None = None) -> Path:
    """``stage``'s data set (default: the chain's) under ``root``: kept when a folder of the same
    recipe and generator version is there, else generated, which needs this code to be that
    generator version."""
    spec = chain.data_of(stage)
    out = Path(root) / data_folder(chain, stage=stage).name
    summary = out / "generator.json"
    if summary.is_file():
        have = json.loads(summary.read_text(encoding="utf-8"))
        same = (
            have.get("generator_version") == spec.generator_version
            and have.get("seed") == spec.seed
            and have.get("counts") == spec.counts
            and list(have.get("image_size", [])) == list(spec.size)
            and bool(have.get("balanced")) == spec.balanced
        )
        if same and (out / "data.yaml").is_file():
            return out / "data.yaml"
    from streetorder.models.synth import GENERATOR_VERSION

    if spec.generator_version != GENERATOR_VERSION:
        who = f"stage {stage.name}" if stage is not None else "the chain"
        raise StreetorderError(
            f"{who} wants generator {spec.generator_version} data, this code is "
            f"{GENERATOR_VERSION}: check out a commit whose models/synth GENERATOR_VERSION is "
            f"{spec.generator_version} and run '{spec.command(out)}' there, then come back"
        )
    if out.exists():
        shutil.rmtree(out)
    from streetorder.models.synth.dataset import write_dataset

    return write_dataset(
        out, spec.seed, spec.counts, spec.size[0], spec.size[1], workers=2, balanced=spec.balanced
    )


def time_box(
    stage: StageSpec, used_hours: float, until: datetime | None, now: datetime
) -> float | None:
    """Hours this run may train: the stage's budget left, cut to end before ``until``; None when
    neither limits it (the stage's epochs alone)."""
    if stage.hours is None and until is None:
        return None
    hours = math.inf if stage.hours is None else stage.hours - used_hours
    if until is not None:
        hours = min(hours, (until - now).total_seconds() / 3600 - FINAL_EVAL_HOURS)
    if hours < MIN_HOURS:
        raise StreetorderError(
            f"stage {stage.name}: only {max(hours, 0) * 60:.0f} min left to train"
            + (f" before {until:%H:%M} UTC" if until else "")
        )
    return round(hours, 3)


def train_command(
    chain: Chain,
    stage: StageSpec,
    data: Path,
    start: Path,
    hours: float | None,
    epochs: int,
    device: str,
    name: str,
) -> tuple[list[str], dict[str, Any]]:
    """The equivalent ``streetorder models train`` command and the keyword arguments of
    ``models.training.train`` for one run of ``stage``."""
    t = stage.train
    kwargs: dict[str, Any] = dict(
        data=data, extra_data=[], model=chain.architecture, weights=start,
        imgsz=int(t.get("imgsz", 320)), epochs=epochs, hours=hours,
        batch=int(t.get("batch", 16)), workers=int(t.get("workers", 0)), seed=stage.seed,
        cache=t.get("cache", False) or False, patience=int(t.get("patience", 1000)),
        close_mosaic=int(t.get("close_mosaic", 2)), rect=bool(t.get("rect", False)),
        warmup_epochs=float(t.get("warmup_epochs", 0.5)),
        optimizer=str(t.get("optimizer", "AdamW")), lr0=t.get("lr0"),
        nbs=int(t.get("nbs", 16)), device=device, save_period=int(t.get("save_period", -1)),
        name=name,
    )  # fmt: skip
    rel = _rel(start)
    cmd = ["streetorder", "models", "train", "--data", _rel(data), "--model", chain.architecture,
           "--weights", rel, "--imgsz", str(kwargs["imgsz"]), "--epochs", str(epochs),
           "--batch", str(kwargs["batch"]), "--workers", str(kwargs["workers"]),
           "--seed", str(stage.seed), "--cache", str(kwargs["cache"] or "none"),
           "--patience", str(kwargs["patience"]), "--close-mosaic", str(kwargs["close_mosaic"]),
           "--warmup-epochs", str(kwargs["warmup_epochs"]), "--optimizer", kwargs["optimizer"],
           "--nbs", str(kwargs["nbs"]), "--device", device]  # fmt: skip
    if kwargs["lr0"] is not None:
        cmd += ["--lr0", str(kwargs["lr0"])]
    if hours is not None:
        cmd += ["--time", str(hours)]
    return cmd, kwargs


def run_stage(
    chain: Chain,
    project: Path,
    data_root: Path,
    until: datetime | None = None,
    device: str | None = None,
    stage_name: str | None = None,
    trainer=None,
) -> dict[str, Any]:
    """Run the next pending (or the named) stage and write its record; returns the record.

    ``trainer`` defaults to ``models.training.train`` (the tests pass the same function)."""
    from streetorder.models.chain.device import choose_device, describe_device

    stage = chain.stage(stage_name) if stage_name else next_stage(chain)
    if stage is None:
        raise StreetorderError("every stage of the chain is done; see 'models chain status'")
    device = device or choose_device()
    start, start_sha = start_weights(chain, stage)
    prior = read_record(chain, stage.name)
    runs = list(prior.get("runs", [])) if prior and prior.get("status") == "partial" else []
    used = sum(float(r.get("wall_seconds", 0)) for r in runs) / 3600
    now = datetime.now(UTC)
    on_cpu = device == "cpu"
    hours = time_box(stage, used, until, now) if on_cpu else None
    data = ensure_data(chain, data_root, stage)
    name = f"{stage.name}-run{len(runs) + 1}"
    cmd, kwargs = train_command(chain, stage, data, start, hours, stage.epochs, device, name)
    run_dir = Path(project).resolve() / name
    run_dir.mkdir(parents=True, exist_ok=True)
    marker = {
        "stage": stage.name, "pid": os.getpid(), "started_at": now.isoformat(timespec="seconds"),
        "start_weights": {"file": _rel(start), "sha256": start_sha}, "command": cmd,
        "device": device, "time_box_hours": hours,
    }  # fmt: skip
    (run_dir / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    if trainer is None:
        from streetorder.models.training import train as trainer
    cpu0, t0 = _cpu_seconds(), time.monotonic()
    report: dict[str, Any] = {}
    best = trainer(project=Path(project), report=report, **kwargs)
    run = {
        **_run_facts(marker, describe_device(device), time.monotonic() - t0, _cpu_seconds() - cpu0),
        "epochs_completed": report.get("epochs_completed"),
        "epochs_planned": report.get("epochs_planned"),
        "ended": "finished",
    }
    status = "partial" if cut_short(stage, used, hours) else "done"
    if status == "partial":
        run["ended"] = "time box cut by --until before the stage's budget was spent"
    prior_kept = prior if runs else None
    return _commit_stage(
        chain, stage, runs + [run], Path(best), run_dir, report, status, prior_kept
    )


def cut_short(stage: StageSpec, used_hours: float, hours: float | None) -> bool:
    """True when this run's time box was shorter than the stage's budget left (the session's
    end cut it): the stage stays partial and the next ``run`` spends the rest."""
    if hours is None or stage.hours is None:
        return False
    return hours < stage.hours - used_hours - 0.01


def snapshot(chain: Chain, project: Path, stage_name: str | None = None) -> dict[str, Any]:
    """Record a running (or killed) stage's newest ``last.pt`` as a *partial* checkpoint."""
    stage = chain.stage(stage_name) if stage_name else next_stage(chain)
    if stage is None:
        raise StreetorderError("every stage of the chain is done; nothing to snapshot")
    prior = read_record(chain, stage.name)
    runs = list(prior.get("runs", [])) if prior and prior.get("status") == "partial" else []
    run_dir = Path(project).resolve() / f"{stage.name}-run{len(runs) + 1}"
    marker_file, last = run_dir / MARKER, run_dir / "weights" / "last.pt"
    if not marker_file.is_file() or not last.is_file():
        raise StreetorderError(f"{run_dir}: no running stage with a last.pt to snapshot")
    from streetorder.models.chain.device import describe_device

    marker = json.loads(marker_file.read_text(encoding="utf-8"))
    started = datetime.fromisoformat(marker["started_at"])
    wall = (datetime.now(UTC) - started).total_seconds()
    epochs = _epochs_in(run_dir / "results.csv")
    run = {
        **_run_facts(marker, describe_device(marker["device"]), wall, _process_cpu(marker["pid"])),
        "epochs_completed": epochs,
        "epochs_planned": None,
        "ended": "snapshot while running",
    }
    return _commit_stage(
        chain, stage, runs + [run], last, run_dir, {}, "partial", prior if runs else None
    )


def stages_through(chain: Chain, through: str | None = None) -> list[StageSpec]:
    """The chain's stages from the first up to and including ``through`` (all when None)."""
    if through is None:
        return list(chain.stages)
    return chain.stages[: chain.names().index(chain.stage(through).name) + 1]


def reproduce_plan(
    chain: Chain, out: Path, device: str, through: str | None = None
) -> list[dict[str, Any]]:
    """Every stage (up to ``through``) again from the chain's first start file, each from the
    reproduced checkpoint of the one before, for the epochs its record says it completed (no
    time box)."""
    plan = []
    previous: Path | None = None
    for stage in stages_through(chain, through):
        rec = read_record(chain, stage.name)
        epochs = (
            int(rec["epochs_completed"]) if rec and rec.get("epochs_completed") else stage.epochs
        )
        if previous is None:
            start = Path(stage.start) if stage.start != "previous" else None
        else:
            start = previous
        name = f"{stage.name}-reproduced"
        folder = data_folder(chain, stage=stage)
        cmd, kwargs = train_command(
            chain, stage, folder / "data.yaml", start, None, epochs, device, name
        )
        spec = chain.data_of(stage)
        plan.append({"stage": stage.name, "command": cmd, "kwargs": kwargs,
                     "data": {"generator_version": spec.generator_version,
                              "command": spec.command(folder)},
                     "recorded": (rec or {}).get("metrics", {})})  # fmt: skip
        previous = Path(out).resolve() / name / "weights" / "best.pt"
    return plan


def reproduce(
    chain: Chain,
    out: Path,
    data_root: Path,
    device: str | None = None,
    trainer=None,
    through: str | None = None,
) -> list[dict[str, Any]]:
    """Run the reproduce plan (up to ``through``); returns per stage the recorded and the
    reproduced metrics."""
    from streetorder.models.chain.device import choose_device
    from streetorder.models.chain.manifest import start_weights as check_start

    device = device or choose_device()
    check_start(chain, chain.stages[0])  # the first start file must be the recorded one
    # every stage's data before any training: a stage on another generator version's data needs
    # that data generated in a checkout of that version first (ensure_data says so)
    data = {s.name: ensure_data(chain, data_root, s) for s in stages_through(chain, through)}
    if trainer is None:
        from streetorder.models.training import train as trainer
    results = []
    for step in reproduce_plan(chain, out, device, through):
        kwargs = {**step["kwargs"], "data": data[step["stage"]]}
        if not Path(kwargs["weights"]).is_absolute():
            kwargs["weights"] = REPO_ROOT / kwargs["weights"]
        report: dict[str, Any] = {}
        t0 = time.monotonic()
        best = trainer(project=Path(out), report=report, **kwargs)
        wall = round(time.monotonic() - t0, 1)
        results.append({
            "stage": step["stage"], "weights": str(best), "wall_seconds": wall,
            "recorded": step["recorded"], "reproduced": report,
        })  # fmt: skip
    Path(out).mkdir(parents=True, exist_ok=True)
    (Path(out) / "reproduce.json").write_text(
        json.dumps(results, indent=2) + "\n", encoding="utf-8"
    )
    return results


def checkpoint_val(record: dict[str, Any] | None) -> float | None:
    """The val mAP50 of a stage record's committed checkpoint (None when unknown)."""
    if not record:
        return None
    ckpt, m = record.get("checkpoint", {}), record.get("metrics", {})
    for value in (ckpt.get("val_map50"), m.get("val_map50"), m.get("best_val_mAP50")):
        if value is not None:
            return float(value)
    return None


def _commit_stage(
    chain, stage, runs, weights: Path, run_dir: Path, report, status, prior=None
) -> dict:
    """Record the stage; ``prior``: its record before this run (a partial stage continued),
    whose checkpoint stays when it scored higher on the val split than this run's."""
    results = run_dir / "results.csv"
    row = _final_row(results)
    from_last = weights.name == "last.pt"
    val = report.get("val_map50", row.get("last_val_mAP50" if from_last else "best_val_mAP50"))
    runs[-1]["val_map50"] = None if val is None else float(val)
    if report.get("val_map50_per_class"):
        runs[-1]["val_map50_per_class"] = report["val_map50_per_class"]
    kept = checkpoint_val(prior)
    keep_prior = kept is not None and val is not None and kept > float(val)
    chain.weights.mkdir(parents=True, exist_ok=True)
    target = chain.weights / f"{stage.name}.pt"
    if keep_prior:
        checkpoint = {**prior["checkpoint"], "val_map50": kept}
        metrics = prior.get("metrics", {})
    else:
        _strip_into(weights, target)
        checkpoint = {
            "file": f"weights/{target.name}",
            "sha256": sha256_of(target),
            "size_bytes": target.stat().st_size,
            "from": f"run {len(runs)} {weights.name}",
            "run": len(runs),
            "val_map50": runs[-1]["val_map50"],
        }
        metrics = {**row, **{k: v for k, v in report.items() if k.startswith("val")}}
    curves = {}
    if results.is_file():
        csv_copy = chain.records / f"{stage.name}.run{len(runs)}.results.csv"
        csv_copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(results, csv_copy)
        curves["results_csv"] = csv_copy.name
        try:
            from streetorder.models.curves import plot_training

            png = plot_training(csv_copy, csv_copy.with_name(f"{stage.name}.curve.png"))
            curves["curve_png"] = Path(png).name
        except Exception as exc:  # a missing plot never loses a checkpoint
            curves["curve_error"] = str(exc)
    first = runs[0]
    data = chain.data_of(stage)
    # fields the runner does not own (held-out evaluations, notes) survive a new run's record
    kept_fields = {k: v for k, v in (prior or {}).items() if k not in _RUNNER_FIELDS}
    record = {
        **kept_fields,
        "stage": stage.name,
        "status": status,
        "why": stage.why,
        "seed": stage.seed,
        "start_weights": first["start_weights"],
        "data": {**data.as_dict(), "command": data.command(data_folder(chain, stage=stage))},
        "architecture": chain.architecture,
        "checkpoint": checkpoint,
        "epochs_completed": sum(int(r.get("epochs_completed") or 0) for r in runs),
        "wall_hours": round(sum(r["wall_seconds"] for r in runs) / 3600, 3),
        "cpu_hours": round(sum(r["cpu_seconds"] for r in runs) / 3600, 3),
        "metrics": metrics,
        **curves,
        "runs": runs,
    }
    write_record(chain, stage.name, record)
    try:
        from streetorder.models.chain.curve import plot_chain

        plot_chain(chain, chain.root / "chain-curve.png", chain.start_val_map50)
    except Exception as exc:  # a missing plot never loses a record
        print(f"chain curve not drawn: {exc}")
    return record


def _run_facts(marker: dict, device: dict, wall: float, cpu: float) -> dict[str, Any]:
    return {
        "started_at": marker["started_at"],
        "ended_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(marker["command"]),
        "start_weights": marker["start_weights"],
        "time_box_hours": marker["time_box_hours"],
        "device": device,
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "load_average_at_end": [round(v, 2) for v in os.getloadavg()],
    }


def _strip_into(src: Path, target: Path) -> None:
    """Copy weights without optimizer state (Ultralytics' own stripping: fp16 model, no EMA)."""
    from ultralytics.utils.torch_utils import strip_optimizer

    tmp = target.with_suffix(".tmp.pt")
    strip_optimizer(str(src), str(tmp))
    os.replace(tmp, target)


def _final_row(results: Path) -> dict[str, Any]:
    """The last epoch's validation figures and the best epoch by mAP50-95 from results.csv."""
    import csv

    if not results.is_file():
        return {}
    with open(results, encoding="utf-8") as fh:
        rows = [{k.strip(): v for k, v in r.items()} for r in csv.DictReader(fh)]
    if not rows:
        return {}
    best = max(rows, key=lambda r: float(r["metrics/mAP50-95(B)"]))
    last = rows[-1]
    return {
        "last_epoch": int(float(last["epoch"])),
        "last_val_mAP50": float(last["metrics/mAP50(B)"]),
        "best_epoch": int(float(best["epoch"])),
        "best_val_mAP50": float(best["metrics/mAP50(B)"]),
        "best_val_mAP50-95": float(best["metrics/mAP50-95(B)"]),
    }


def _epochs_in(results: Path) -> int:
    if not results.is_file():
        return 0
    return max(0, len(results.read_text(encoding="utf-8").strip().splitlines()) - 1)


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _process_cpu(pid: int) -> float:
    """CPU seconds used so far by a running process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(v) for v in fields[11:15]) / ticks  # utime, stime, cutime, cstime


def _rel(path: Path) -> str:
    p = Path(path).resolve()
    try:
        return str(p.relative_to(REPO_ROOT))
    except ValueError:
        return str(p)


def parse_until(text: str, now: datetime | None = None) -> datetime:
    """'HH:MM' (UTC, the next such time) or an ISO timestamp → an aware UTC datetime."""
    now = now or datetime.now(UTC)
    try:
        if len(text) <= 5 and ":" in text:
            hh, mm = (int(v) for v in text.split(":"))
            t = now.replace(hour=hh, minute=mm, second=0, microsecond=0)
            return t if t > now else t + timedelta(days=1)
        t = datetime.fromisoformat(text)
    except ValueError:
        raise StreetorderError(f"--until {text!r}: give HH:MM (UTC) or an ISO timestamp") from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)
