"""The staged training chain: device choice, the manifest, time boxes, status and a real tiny
two-stage run that continues from a committed (partial) checkpoint."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from streetorder.errors import StreetorderError
from streetorder.models.chain import manifest as mf
from streetorder.models.chain.runner import data_folder, parse_until, reproduce_plan, time_box
from streetorder.models.synth import GENERATOR_VERSION

torch = pytest.importorskip("torch")


# ----------------------------------------------------------------------------- device


@pytest.mark.parametrize(
    ("available", "count", "expected"),
    [(True, 1, "cuda:0"), (True, 2, "cuda:0"), (False, 0, "cpu"), (True, 0, "cpu")],
)
def test_device_is_cuda_when_present_else_cpu(monkeypatch, available, count, expected) -> None:
    from streetorder.models.chain.device import OVERRIDE, choose_device

    monkeypatch.delenv(OVERRIDE, raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: available)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: count)
    assert choose_device() == expected


def test_device_override_is_checked(monkeypatch) -> None:
    from streetorder.models.chain.device import OVERRIDE, choose_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setenv(OVERRIDE, "cpu")
    assert choose_device() == "cpu"
    monkeypatch.setenv(OVERRIDE, "gpu")
    with pytest.raises(ValueError, match="cpu' or 'cuda:N"):
        choose_device()


# ----------------------------------------------------------------------------- manifest


def test_the_committed_chain_starts_from_the_from_scratch_weights() -> None:
    chain = mf.load_chain()
    first = chain.stages[0]
    assert first.start == "models/chain/weights/s0-scratch.pt"
    assert mf.sha256_of(mf.REPO_ROOT / first.start) == first.start_sha256
    record = mf.read_record(chain, first.name)
    if record is not None:  # a run is recorded: it started from those weights
        assert record["start_weights"]["sha256"] == first.start_sha256
        mf.stage_status(chain, first.name)  # its committed checkpoint matches its sha256
    assert all(s.start == mf.PREVIOUS for s in chain.stages[1:])
    assert chain.data_of(chain.stages[-1]).generator_version == GENERATOR_VERSION
    for stage in chain.stages:  # a recorded stage ran on the data the chain names for it
        rec = mf.read_record(chain, stage.name)
        if rec is not None:
            spec = chain.data_of(stage).as_dict()
            assert {k: rec["data"][k] for k in spec} == spec, stage.name
    budget = sum(s.hours or 0 for s in chain.stages)
    assert budget <= 8.0, "the issue allows about 8 h on this machine"


def _chain_dir(tmp_path: Path, stages: list[dict], data: dict | None = None) -> Path:
    root = tmp_path / "chain"
    root.mkdir(exist_ok=True)
    spec = {
        "name": "t",
        "architecture": "models/configs/streetorder-det.yaml",
        "data": data
        or {
            "generator_version": GENERATOR_VERSION,
            "seed": 1,
            "counts": {"train": 2},
            "size": [64, 64],
        },
        "stages": stages,
    }
    (root / "chain.yaml").write_text(yaml.safe_dump(spec))
    return root / "chain.yaml"


@pytest.mark.parametrize(
    ("stages", "reason"),
    [
        ([{"name": "a", "start": "x.pt", "seed": 1, "epochs": 1, "hours": 1}], "start_sha256"),
        ([{"name": "a", "start": "previous", "seed": 1, "epochs": 1}], "cannot start from"),
        (
            [{"name": "a", "start": "x.pt", "start_sha256": "ab", "seed": 1, "epochs": 1,
              "train": {"lr": 1}}],
            "unknown train keys",
        ),
        (
            [{"name": "a", "start": "x.pt", "start_sha256": "ab", "seed": 1, "epochs": 1}] * 2,
            "unique",
        ),
        ([], "no stages"),
        (
            [{"name": "a", "start": "x.pt", "start_sha256": "ab", "seed": 1, "epochs": 1,
              "data": {"generator_version": "9.9.9", "seeds": 2}}],
            r"stage 'a': unknown data keys \['seeds'\]",
        ),
        (
            [{"name": "a", "start": "x.pt", "start_sha256": "ab", "seed": 1, "epochs": 1,
              "data": "1.3.1"}],
            "stage 'a': data must map keys",
        ),
    ],
)  # fmt: skip
def test_a_malformed_chain_says_what_is_wrong(tmp_path: Path, stages, reason) -> None:
    with pytest.raises(StreetorderError, match=reason):
        mf.load_chain(_chain_dir(tmp_path, stages))


def test_start_weights_must_match_their_sha256(tmp_path: Path) -> None:
    weights = tmp_path / "w.pt"
    weights.write_bytes(b"weights")
    stage = {"name": "a", "start": str(weights), "start_sha256": "0" * 64, "seed": 1, "epochs": 1}
    chain = mf.load_chain(_chain_dir(tmp_path, [stage]))
    with pytest.raises(StreetorderError, match="the chain expects"):
        mf.start_weights(chain, chain.stages[0])


def test_status_done_partial_pending_and_a_tampered_checkpoint(tmp_path: Path) -> None:
    weights = tmp_path / "w.pt"
    weights.write_bytes(b"start")
    sha = mf.sha256_of(weights)
    base = {"seed": 1, "epochs": 1}
    chain = mf.load_chain(
        _chain_dir(
            tmp_path,
            [
                {"name": "a", "start": str(weights), "start_sha256": sha, **base},
                {"name": "b", "start": "previous", **base},
                {"name": "c", "start": "previous", **base},
            ],
        )
    )
    assert [mf.stage_status(chain, n) for n in chain.names()] == ["pending"] * 3
    with pytest.raises(StreetorderError, match="needs stage a done first"):
        mf.start_weights(chain, chain.stages[1])

    def record(name: str, status: str, content: bytes) -> Path:
        ckpt = chain.weights / f"{name}.pt"
        ckpt.parent.mkdir(parents=True, exist_ok=True)
        ckpt.write_bytes(content)
        ref = {"file": f"weights/{name}.pt", "sha256": mf.sha256_of(ckpt)}
        mf.write_record(chain, name, {"status": status, "checkpoint": ref, "runs": []})
        return ckpt

    a = record("a", "done", b"after a")
    record("b", "partial", b"half of b")
    assert [mf.stage_status(chain, n) for n in chain.names()] == ["done", "partial", "pending"]
    assert mf.next_stage(chain).name == "b"
    path, _ = mf.start_weights(chain, chain.stages[1])
    assert path.name == "b.pt", "a partial stage continues from its own snapshot"
    a.write_bytes(b"changed")
    with pytest.raises(StreetorderError, match="does not match its sha256"):
        mf.stage_status(chain, "a")


# ----------------------------------------------------------------------------- time boxes


def test_time_box_fits_the_budget_left_and_the_session_end() -> None:
    stage = mf.StageSpec("s", "previous", None, 1, 10, 1.75)
    now = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)
    assert time_box(stage, 0.0, None, now) == 1.75
    assert time_box(stage, 1.0, None, now) == 0.75
    until = now + timedelta(hours=1)
    assert time_box(stage, 0.0, until, now) == pytest.approx(1.0 - 0.1)
    with pytest.raises(StreetorderError, match="min left to train"):
        time_box(stage, 0.0, now + timedelta(minutes=5), now)
    assert time_box(mf.StageSpec("s", "previous", None, 1, 10, None), 0.0, None, now) is None


def test_a_run_cut_by_the_session_end_leaves_the_stage_partial() -> None:
    from streetorder.models.chain.runner import cut_short

    stage = mf.StageSpec("s", "previous", None, 1, 10, 1.75)
    assert cut_short(stage, 0.0, 1.2), "1.2 h of a 1.75 h budget: partial"
    assert not cut_short(stage, 0.0, 1.75)
    assert not cut_short(stage, 1.2, 0.55), "the rest of the budget spent: done"
    assert not cut_short(stage, 0.0, None), "epochs only (a GPU): done when it returns"


def test_parse_until_takes_the_next_such_utc_time() -> None:
    now = datetime(2026, 12, 6, 23, 50, tzinfo=UTC)
    assert parse_until("01:55", now) == datetime(2026, 12, 7, 1, 55, tzinfo=UTC)
    assert parse_until("23:59", now) == datetime(2026, 12, 6, 23, 59, tzinfo=UTC)
    with pytest.raises(StreetorderError, match="HH:MM"):
        parse_until("soon", now)


def test_reproduce_plan_chains_each_stage_from_the_one_before(tmp_path: Path) -> None:
    chain = mf.load_chain()
    plan = reproduce_plan(chain, tmp_path, "cpu")
    assert [p["stage"] for p in plan] == chain.names()
    assert plan[0]["kwargs"]["weights"] == Path(chain.stages[0].start)
    for before, step in zip(plan, plan[1:], strict=False):
        assert (
            step["kwargs"]["weights"] == tmp_path / f"{before['stage']}-reproduced/weights/best.pt"
        )
        assert step["kwargs"]["hours"] is None, "a reproduction runs the recorded epochs"
    middle = chain.names()[1]
    assert [p["stage"] for p in reproduce_plan(chain, tmp_path, "cpu", middle)] == [
        chain.names()[0],
        middle,
    ]
    with pytest.raises(StreetorderError, match="no stage 'nope'"):
        reproduce_plan(chain, tmp_path, "cpu", "nope")


# ----------------------------------------------------------------------------- a real run


@pytest.mark.train
@pytest.mark.slow
def test_two_tiny_stages_run_record_snapshot_and_continue(tmp_path: Path) -> None:
    pytest.importorskip("ultralytics")
    from streetorder.models.chain.runner import run_stage, snapshot

    bootstrap = mf.REPO_ROOT / "models/bootstrap/streetorder-det.pt"
    train = {"imgsz": 64, "batch": 4, "workers": 0, "close_mosaic": 0, "warmup_epochs": 0.0}
    data = {"generator_version": GENERATOR_VERSION, "seed": 3, "counts": {"train": 8, "val": 4},
            "size": [192, 108], "balanced": True}  # fmt: skip
    chain = mf.load_chain(
        _chain_dir(
            tmp_path,
            [
                {
                    "name": "one",
                    "start": str(bootstrap),
                    "start_sha256": mf.sha256_of(bootstrap),
                    "seed": 1,
                    "epochs": 1,
                    "train": train,
                },
                {"name": "two", "start": "previous", "seed": 2, "epochs": 1, "train": train},
            ],  # fmt: skip
            data,
        )
    )
    project = tmp_path / "runs"
    rec = run_stage(chain, project, project, device="cpu")
    assert rec["stage"] == "one" and rec["status"] == "done"
    ckpt = chain.root / rec["checkpoint"]["file"]
    assert ckpt.is_file() and mf.sha256_of(ckpt) == rec["checkpoint"]["sha256"]
    assert ckpt.stat().st_size < 7e6, "the committed checkpoint has no optimizer state"
    assert rec["start_weights"]["sha256"] == mf.sha256_of(bootstrap)
    assert rec["data"]["generator_version"] == GENERATOR_VERSION
    assert "--balanced" in rec["data"]["command"]
    run = rec["runs"][0]
    assert run["device"]["device"] == "cpu" and run["wall_seconds"] > 0 and run["cpu_seconds"] > 0
    assert "--weights" in run["command"] and rec["epochs_completed"] == 1
    assert (chain.records / rec["results_csv"]).is_file()
    assert (chain.root / "chain-curve.png").is_file()

    # stage two is cut short: its last.pt is snapshotted as partial, then it continues from it
    cut = project / "two-run1"
    shutil.copytree(project / "one-run1", cut)
    marker = json.loads((cut / "chain-run.json").read_text())
    marker.update(stage="two", pid=os.getpid())
    (cut / "chain-run.json").write_text(json.dumps(marker))
    part = snapshot(chain, project)
    assert part["stage"] == "two" and part["status"] == "partial"
    assert mf.stage_status(chain, "two") == "partial"
    snap_sha = part["checkpoint"]["sha256"]
    done = run_stage(chain, project, project, device="cpu")
    assert done["stage"] == "two" and done["status"] == "done" and len(done["runs"]) == 2
    assert done["runs"][1]["start_weights"]["sha256"] == snap_sha
    assert mf.next_stage(chain) is None


@pytest.mark.parametrize(("new_val", "kept"), [(0.70, "prior"), (0.80, "new")])
def test_a_continued_stage_keeps_the_best_checkpoint_of_its_runs(
    tmp_path: Path, monkeypatch, new_val, kept
) -> None:
    """A warm restart that ends below the checkpoint it started from is recorded (cost, val
    mAP50) but does not replace that checkpoint; one that ends above it does."""
    pytest.importorskip("ultralytics")
    from streetorder.models.chain import runner

    bootstrap = mf.REPO_ROOT / "models/bootstrap/streetorder-det.pt"
    stage = {"name": "a", "start": str(bootstrap), "start_sha256": mf.sha256_of(bootstrap),
             "seed": 1, "epochs": 1, "hours": 1.0}  # fmt: skip
    chain = mf.load_chain(_chain_dir(tmp_path, [stage]))
    chain.weights.mkdir(parents=True)
    prior_ckpt = chain.weights / "a.pt"
    runner._strip_into(bootstrap, prior_ckpt)
    prior_sha = mf.sha256_of(prior_ckpt)
    first_run = {"started_at": "2026-12-07T00:00:00+00:00", "wall_seconds": 1800.0,
                 "cpu_seconds": 900.0, "start_weights": {"file": "b.pt", "sha256": "b" * 64},
                 "device": {"device": "cpu"}, "epochs_completed": 5}  # fmt: skip
    mf.write_record(chain, "a", {
        "stage": "a", "status": "partial", "runs": [first_run],
        "checkpoint": {"file": "weights/a.pt", "sha256": prior_sha, "size_bytes": 1,
                       "from": "run 1 best.pt"},
        "metrics": {"val_map50": 0.75, "val_map50_per_class": {"goods": 0.6}},
        "evaluations": [{"checkpoint_sha256": prior_sha, "heldout": {"mAP50_all": 0.78}}],
    })  # fmt: skip
    monkeypatch.setattr(runner, "ensure_data", lambda chain, root, stage: tmp_path / "data.yaml")
    monkeypatch.setenv("STREETORDER_TRAIN_THREADS", "2")

    def trainer(project: Path, report: dict, name: str, weights: Path, **_kw) -> Path:
        assert mf.sha256_of(weights) == prior_sha, "a partial stage continues from its snapshot"
        best = project / name / "weights" / "best.pt"
        best.parent.mkdir(parents=True, exist_ok=True)
        ckpt = torch.load(bootstrap, weights_only=False)
        for net in (ckpt.get("ema"), ckpt.get("model")):
            if net is not None:
                next(net.parameters()).data += 0.01  # other weights than the snapshot's
        torch.save(ckpt, best)
        report.update(epochs_completed=2, val_map50=new_val,
                      val_map50_per_class={"goods": new_val - 0.1})  # fmt: skip
        return best

    rec = runner.run_stage(chain, tmp_path / "runs", tmp_path, device="cpu", trainer=trainer)
    assert rec["status"] == "done" and len(rec["runs"]) == 2
    assert rec["runs"][1]["val_map50"] == new_val, "every run's own val mAP50 is recorded"
    assert rec["runs"][1]["device"]["threads"] == 2, "the threads the trainer used"
    assert rec["wall_hours"] >= 0.5 and rec["epochs_completed"] == 7, "the cost counts both runs"
    ckpt = chain.root / rec["checkpoint"]["file"]
    assert mf.sha256_of(ckpt) == rec["checkpoint"]["sha256"]
    mf.stage_status(chain, "a")  # the record and its checkpoint agree
    assert rec["evaluations"][0]["checkpoint_sha256"] == prior_sha, "others' fields survive"
    if kept == "prior":
        assert rec["checkpoint"]["sha256"] == prior_sha and rec["metrics"]["val_map50"] == 0.75
        assert runner.checkpoint_val(rec) == 0.75
    else:
        assert rec["checkpoint"]["sha256"] != prior_sha and rec["checkpoint"]["run"] == 2
        assert runner.checkpoint_val(rec) == 0.80 and rec["metrics"]["val_map50"] == 0.80


def _fake_data(root: Path, spec: mf.DataSpec) -> Path:
    """A data folder as ``models synth`` leaves it (its summary and data.yaml, no images)."""
    out = root / f"data-{spec.generator_version}-{spec.seed}"
    out.mkdir(parents=True)
    summary = {
        "generator_version": spec.generator_version,
        "seed": spec.seed,
        "counts": spec.counts,
        "image_size": list(spec.size),
        "balanced": spec.balanced,
    }
    (out / "generator.json").write_text(json.dumps(summary))
    (out / "data.yaml").write_text("path: .\n")
    return out / "data.yaml"


def test_a_stage_with_a_data_override_has_its_own_data_record_and_commands(
    tmp_path: Path, monkeypatch
) -> None:
    """Stage b overrides the chain's generator version and seed: it trains on, records and
    reproduces with its own data; stage a keeps the chain's, of an older generator, which is
    used when generated (by a checkout of that version) and otherwise asked for."""
    from streetorder.models.chain import runner

    weights = tmp_path / "w.pt"
    weights.write_bytes(b"start")
    old = {"generator_version": "1.2.9", "seed": 1, "counts": {"train": 2}, "size": [64, 64]}
    chain = mf.load_chain(
        _chain_dir(
            tmp_path,
            [
                {
                    "name": "a",
                    "start": str(weights),
                    "start_sha256": mf.sha256_of(weights),
                    "seed": 1,
                    "epochs": 1,
                },
                {
                    "name": "b",
                    "start": "previous",
                    "seed": 2,
                    "epochs": 1,
                    "data": {"generator_version": GENERATOR_VERSION, "seed": 9},
                },
            ],  # fmt: skip
            old,
        )
    )
    a, b = chain.stages
    assert a.data is None and chain.data_of(a) == chain.data
    assert chain.data_of(b) == mf.DataSpec(GENERATOR_VERSION, 9, {"train": 2}, (64, 64), False)
    assert data_folder(chain, stage=a).name == "data-1.2.9-1"
    assert data_folder(chain, stage=b).name == f"data-{GENERATOR_VERSION}-9"
    plan = reproduce_plan(chain, tmp_path / "again", "cpu")
    assert plan[0]["kwargs"]["data"] == Path("runs/chain/data-1.2.9-1/data.yaml")
    assert plan[1]["kwargs"]["data"] == Path(f"runs/chain/data-{GENERATOR_VERSION}-9/data.yaml")
    assert plan[0]["data"]["generator_version"] == "1.2.9"
    assert "--seed 9 " in plan[1]["data"]["command"]

    data_root = tmp_path / "runs"
    wanted = f"stage a wants generator 1.2.9 data, this code is {GENERATOR_VERSION}"
    with pytest.raises(StreetorderError, match=wanted):
        runner.ensure_data(chain, data_root, a)
    a_yaml = _fake_data(data_root, chain.data_of(a))
    b_yaml = _fake_data(data_root, chain.data_of(b))
    assert runner.ensure_data(chain, data_root, a) == a_yaml, "generated elsewhere: used"
    assert runner.ensure_data(chain, data_root, b) == b_yaml

    used = []

    def trainer(project: Path, report: dict, name: str, data: Path, **_kw) -> Path:
        used.append(data)
        best = project / name / "weights" / "best.pt"
        best.parent.mkdir(parents=True, exist_ok=True)
        best.write_bytes(name.encode())
        report.update(epochs_completed=1, val_map50=0.5)
        return best

    monkeypatch.setattr(runner, "_strip_into", lambda src, target: shutil.copyfile(src, target))
    ra = runner.run_stage(chain, data_root, data_root, device="cpu", trainer=trainer)
    rb = runner.run_stage(chain, data_root, data_root, device="cpu", trainer=trainer)
    assert used == [a_yaml, b_yaml]
    assert ra["data"]["generator_version"] == "1.2.9" and ra["data"]["seed"] == 1
    assert "--out runs/chain/data-1.2.9-1 --seed 1 " in ra["data"]["command"]
    assert rb["data"]["generator_version"] == GENERATOR_VERSION and rb["data"]["seed"] == 9
    assert f"--out runs/chain/data-{GENERATOR_VERSION}-9 --seed 9 " in rb["data"]["command"]
    assert mf.next_stage(chain) is None


def test_chain_curve_places_the_runs_end_to_end(tmp_path: Path) -> None:
    from streetorder.models.chain.curve import plot_chain

    weights = tmp_path / "w.pt"
    weights.write_bytes(b"start")
    sha = mf.sha256_of(weights)
    chain = mf.load_chain(
        _chain_dir(
            tmp_path,
            [
                {"name": "a", "start": str(weights), "start_sha256": sha, "seed": 1, "epochs": 1},
                {"name": "b", "start": "previous", "seed": 1, "epochs": 1},
            ],
        )
    )
    assert plot_chain(chain, tmp_path / "none.png") is None, "nothing ran yet: no picture"
    head = "epoch,time,metrics/mAP50(B)\n"
    for name, rows in (("a", "1,100,0.70\n2,200,0.75\n"), ("b", "1,150,0.78\n")):
        mf.write_record(chain, name, {"status": "done", "runs": [{}]})
        (chain.records / f"{name}.run1.results.csv").write_text(head + rows)
    png = plot_chain(chain, tmp_path / "chain.png", start_map50=0.66)
    assert png is not None and png.stat().st_size > 5000


def test_training_threads_default_to_every_core_and_can_be_pinned(monkeypatch) -> None:
    pytest.importorskip("ultralytics")
    from streetorder.models.cpu_trainer import train_threads

    monkeypatch.delenv("STREETORDER_TRAIN_THREADS", raising=False)
    assert train_threads() == (os.cpu_count() or 1)
    monkeypatch.setenv("STREETORDER_TRAIN_THREADS", "1")
    assert train_threads() == 1
    monkeypatch.setenv("STREETORDER_TRAIN_THREADS", "many")
    assert train_threads() == (os.cpu_count() or 1)


def test_status_markdown_has_a_row_per_stage_and_the_cost() -> None:
    from streetorder.models.chain.cli import markdown_table

    row = {"stage": "s1", "status": "partial", "start": "b.pt", "budget_hours": 1.75,
           "runs": 1, "devices": ["cpu"], "epochs": 5, "wall_hours": 1.3, "cpu_hours": 0.4,
           "val_mAP50": 0.8, "per_class": {"goods": 0.7, "table": 0.75}}  # fmt: skip
    table = markdown_table([row], {"wall_hours": 1.3, "cpu_hours": 0.4, "runs": 1})
    lines = table.splitlines()
    assert lines[0].startswith("| stage | status") and lines[2].startswith("| `s1` | partial")
    assert "| 0.7 | — | 0.75 | — |" in lines[2], "goods, rack, table, stall in order"
    assert "1.3 h wall-clock, 0.4 h CPU in 1 run(s)" in table
