"""``streetorder models chain status | run | snapshot | reproduce``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

DEFAULT_PROJECT = Path("runs/chain")


def add_chain(sub) -> None:
    p = sub.add_parser(
        "chain",
        help="the recorded chain of resumable training stages (models/chain/chain.yaml)",
        description=(
            "Train the bundled detector as a chain of time-boxed stages, each starting from the "
            "committed checkpoint of the one before; every stage's command, seed, start weights "
            "(sha256), data, device, wall and CPU time and metrics are recorded in "
            "models/chain/stages/. Commit models/chain after each run."
        ),
    )
    p.add_argument("--chain", type=Path, help="chain YAML (default: models/chain/chain.yaml)")
    csub = p.add_subparsers(dest="chain_command", metavar="ACTION", required=True)
    st = csub.add_parser("status", help="each stage: done, partial or pending, and the cost")
    st.add_argument("--json", action="store_true", help="machine-readable")
    st.add_argument("--markdown", action="store_true", help="a table for the model card")
    st.set_defaults(func=_status)
    run = csub.add_parser("run", help="train the next stage that is not done")
    run.add_argument("--until", help="end training (and save) before this UTC time, HH:MM")
    run.add_argument("--stage", help="this stage instead of the next pending one")
    run.add_argument("--device", help="cpu or cuda:N (default: CUDA when present, else CPU)")
    run.add_argument("--project", type=Path, default=DEFAULT_PROJECT, help="runs folder")
    run.set_defaults(func=_run)
    snap = csub.add_parser(
        "snapshot", help="record the running stage's last checkpoint as partial (to commit)"
    )
    snap.add_argument("--stage", help="default: the next stage that is not done")
    snap.add_argument("--project", type=Path, default=DEFAULT_PROJECT, help="runs folder")
    snap.set_defaults(func=_snapshot)
    rep = csub.add_parser("reproduce", help="train the whole chain again from its first start")
    rep.add_argument("--out", type=Path, default=Path("runs/chain-reproduce"))
    rep.add_argument("--device", help="cpu or cuda:N (default: CUDA when present, else CPU)")
    rep.add_argument("--dry-run", action="store_true", help="print the commands only")
    rep.add_argument(
        "--through", metavar="STAGE", help="stop after this stage (the bundled model's, say)"
    )
    rep.set_defaults(func=_reproduce)


def _chain(args):
    from streetorder.models.chain.manifest import load_chain

    return load_chain(args.chain)


def _status(args: argparse.Namespace) -> int:
    from streetorder.models.chain.manifest import read_record, stage_status, total_cost

    chain = _chain(args)
    rows = []
    for s in chain.stages:
        rec = read_record(chain, s.name) or {}
        m = rec.get("metrics", {})
        rows.append({
            "stage": s.name, "status": stage_status(chain, s.name), "budget_hours": s.hours,
            "wall_hours": rec.get("wall_hours"), "cpu_hours": rec.get("cpu_hours"),
            "epochs": rec.get("epochs_completed"), "start": s.start,
            "val_mAP50": m.get("val_map50", m.get("last_val_mAP50")),
            "per_class": m.get("val_map50_per_class", {}),
            "devices": sorted({r["device"]["device"] for r in rec.get("runs", [])}),
            "runs": len(rec.get("runs", [])),
        })  # fmt: skip
    cost = total_cost(chain)
    if args.json:
        print(json.dumps({"stages": rows, "cost": cost}, indent=2))
        return 0
    if args.markdown:
        print(markdown_table(rows, cost))
        return 0
    for r in rows:
        extra = (
            ""
            if r["status"] == "pending"
            else (f"  {r['epochs']} epochs, {r['wall_hours']} h, val mAP50 {r['val_mAP50']}")
        )
        print(f"{r['stage']:24s} {r['status']:8s} budget {r['budget_hours']} h{extra}")
    print(f"recorded: {cost['wall_hours']} h wall, {cost['cpu_hours']} h CPU, {cost['runs']} runs")
    return 0


def _run(args: argparse.Namespace) -> int:
    from streetorder.models.chain.runner import parse_until, run_stage

    until = parse_until(args.until) if args.until else None
    rec = run_stage(_chain(args), args.project, args.project, until, args.device, args.stage)
    ckpt = rec["checkpoint"]["file"]
    print(f"stage {rec['stage']}: {rec['status']}, checkpoint models/chain/{ckpt}")
    print("commit models/chain to keep it")
    return 0


def _snapshot(args: argparse.Namespace) -> int:
    from streetorder.models.chain.runner import snapshot

    rec = snapshot(_chain(args), args.project, args.stage)
    print(f"stage {rec['stage']}: partial after {rec['epochs_completed']} epochs, "
          f"checkpoint models/chain/{rec['checkpoint']['file']}")  # fmt: skip
    return 0


def _reproduce(args: argparse.Namespace) -> int:
    from streetorder.models.chain.device import choose_device
    from streetorder.models.chain.runner import reproduce, reproduce_plan

    chain = _chain(args)
    device = args.device or choose_device()
    if args.dry_run:
        from streetorder.models.synth import GENERATOR_VERSION

        made: set[str] = set()
        for step in reproduce_plan(chain, args.out, device, args.through):
            data = step["data"]
            if data["command"] not in made:  # each data set once, before its first stage
                made.add(data["command"])
                if data["generator_version"] != GENERATOR_VERSION:
                    print(f"# in a checkout whose GENERATOR_VERSION is {data['generator_version']}"
                          f" (this one is {GENERATOR_VERSION}):")  # fmt: skip
                print(data["command"])
            print(" ".join(str(c) for c in step["command"]))
        return 0
    for row in reproduce(chain, args.out, DEFAULT_PROJECT, device, through=args.through):
        print(f"{row['stage']}: recorded {row['recorded'].get('val_map50')}, "
              f"reproduced {row['reproduced'].get('val_map50')}")  # fmt: skip
    return 0


def markdown_table(rows: list[dict], cost: dict) -> str:
    """The chain as a model-card table: one row per stage, the total cost below."""
    from streetorder.models.evaluate import TARGET_CLASSES

    head = ["stage", "status", "start", "budget h", "runs", "device", "epochs", "wall h", "CPU h"]
    head += ["val mAP50", *TARGET_CLASSES]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [f"`{r['stage']}`", r["status"], r["start"], r["budget_hours"], r["runs"],
                 ", ".join(r["devices"]) or "—", r["epochs"], r["wall_hours"], r["cpu_hours"],
                 r["val_mAP50"], *(r["per_class"].get(c) for c in TARGET_CLASSES)]  # fmt: skip
        lines.append("| " + " | ".join("—" if c is None else str(c) for c in cells) + " |")
    lines.append(
        f"\nRecorded cost so far: {cost['wall_hours']} h wall-clock, {cost['cpu_hours']} h CPU "
        f"in {cost['runs']} run(s)."
    )
    return "\n".join(lines)
