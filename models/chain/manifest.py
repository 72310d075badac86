"""The training chain's manifest: ``chain.yaml`` (the plan) and one JSON record per run stage.

A stage is *done* when its record says so and its committed checkpoint matches the recorded
sha256; *partial* when a snapshot of an unfinished stage was committed (the next ``run`` starts
the stage again from that snapshot); otherwise *pending*. A stage's own ``data`` names only the
keys of the chain's ``data`` it changes (a newer generator version, say); without one a stage
trains on the chain's data.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streetorder.errors import StreetorderError

CHAIN_DIR = Path(__file__).resolve().parent
REPO_ROOT = CHAIN_DIR.parents[1]
PREVIOUS = "previous"  # a stage's ``start``: the checkpoint of the stage before it
TRAIN_KEYS = {
    "imgsz", "batch", "workers", "cache", "optimizer", "lr0", "warmup_epochs", "close_mosaic",
    "nbs", "patience", "rect", "save_period",
}  # fmt: skip
DATA_KEYS = ("generator_version", "seed", "counts", "size", "balanced")


@dataclass(frozen=True)
class DataSpec:
    generator_version: str
    seed: int
    counts: dict[str, int]
    size: tuple[int, int]
    balanced: bool

    def command(self, out: Path) -> str:
        c = self.counts
        w, h = self.size
        return (
            f"streetorder models synth --out {out} --seed {self.seed} --train {c.get('train', 0)} "
            f"--val {c.get('val', 0)} --test {c.get('test', 0)} --size {w}x{h}"
            + (" --balanced" if self.balanced else "")
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "generator_version": self.generator_version,
            "seed": self.seed,
            "counts": dict(self.counts),
            "size": list(self.size),
            "balanced": self.balanced,
        }


@dataclass(frozen=True)
class StageSpec:
    name: str
    start: str  # a .pt path (repo-relative) or "previous"
    start_sha256: str | None  # required for a file start
    seed: int
    epochs: int
    hours: float | None  # wall-clock budget on the CPU; None: the epochs alone
    train: dict[str, Any] = field(default_factory=dict)
    why: str = ""
    data: DataSpec | None = None  # the stage's own data (its ``data`` override); None: the chain's


@dataclass(frozen=True)
class Chain:
    name: str
    architecture: str
    data: DataSpec
    stages: tuple[StageSpec, ...]
    root: Path = CHAIN_DIR
    start_val_map50: float | None = None  # the first start weights on the chain's val split

    @property
    def records(self) -> Path:
        return self.root / "stages"

    @property
    def weights(self) -> Path:
        return self.root / "weights"

    def stage(self, name: str) -> StageSpec:
        for s in self.stages:
            if s.name == name:
                return s
        raise StreetorderError(f"no stage {name!r} in the chain ({', '.join(self.names())})")

    def names(self) -> list[str]:
        return [s.name for s in self.stages]

    def data_of(self, stage: StageSpec | str | None) -> DataSpec:
        """The data ``stage`` trains on: its override, else the chain's."""
        if isinstance(stage, str):
            stage = self.stage(stage)
        return stage.data if stage is not None and stage.data is not None else self.data


def load_chain(path: Path | None = None) -> Chain:
    """Read and check ``chain.yaml`` (default: the committed one next to this module)."""
    import yaml

    path = Path(path) if path else CHAIN_DIR / "chain.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StreetorderError(f"{path}: chain file not found") from None
    except yaml.YAMLError as exc:
        raise StreetorderError(f"{path}: not valid YAML: {exc}") from None
    try:
        d = raw["data"]
        data = _data_spec(d)
        stages = tuple(_stage(s, d) for s in raw["stages"])
        start_val = raw.get("start_val_map50")
        chain = Chain(
            str(raw["name"]),
            str(raw["architecture"]),
            data,
            stages,
            path.parent,
            None if start_val is None else float(start_val),
        )
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise StreetorderError(f"{path}: malformed chain ({type(exc).__name__}: {exc})") from None
    if not stages:
        raise StreetorderError(f"{path}: the chain has no stages")
    if len(set(chain.names())) != len(stages):
        raise StreetorderError(f"{path}: stage names must be unique")
    if stages[0].start == PREVIOUS:
        raise StreetorderError(f"{path}: the first stage cannot start from 'previous'")
    return chain


def _data_spec(d: dict[str, Any]) -> DataSpec:
    return DataSpec(
        str(d["generator_version"]),
        int(d["seed"]),
        {str(k): int(v) for k, v in d["counts"].items()},
        (int(d["size"][0]), int(d["size"][1])),
        bool(d.get("balanced", False)),
    )


def _stage(s: dict[str, Any], chain_data: dict[str, Any]) -> StageSpec:
    unknown = set(s.get("train", {})) - TRAIN_KEYS
    if unknown:
        raise ValueError(f"stage {s.get('name')!r}: unknown train keys {sorted(unknown)}")
    override = s.get("data")
    if override is not None:
        if not isinstance(override, dict) or not override:
            raise ValueError(f"stage {s.get('name')!r}: data must map keys of the chain's data")
        unknown = set(override) - set(DATA_KEYS)
        if unknown:
            raise ValueError(
                f"stage {s.get('name')!r}: unknown data keys {sorted(unknown)} "
                f"(a stage may override {', '.join(DATA_KEYS)})"
            )
    start = str(s["start"])
    sha = s.get("start_sha256")
    if start != PREVIOUS and not sha:
        raise ValueError(f"stage {s['name']!r}: a file start needs start_sha256")
    return StageSpec(
        name=str(s["name"]),
        start=start,
        start_sha256=str(sha) if sha else None,
        seed=int(s["seed"]),
        epochs=int(s["epochs"]),
        hours=None if s.get("hours") is None else float(s["hours"]),
        train=dict(s.get("train", {})),
        why=str(s.get("why", "")).strip(),
        data=None if override is None else _data_spec({**chain_data, **override}),
    )


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def record_path(chain: Chain, stage: str) -> Path:
    return chain.records / f"{stage}.json"


def read_record(chain: Chain, stage: str) -> dict[str, Any] | None:
    path = record_path(chain, stage)
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise StreetorderError(f"{path}: unreadable stage record: {exc}") from None


def write_record(chain: Chain, stage: str, record: dict[str, Any]) -> Path:
    path = record_path(chain, stage)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path


def checkpoint_of(chain: Chain, record: dict[str, Any]) -> Path:
    return (chain.root / record["checkpoint"]["file"]).resolve()


def stage_status(chain: Chain, stage: str) -> str:
    """``done``, ``partial`` or ``pending``; a record whose checkpoint is missing or altered is an
    error, not a silent restart."""
    rec = read_record(chain, stage)
    if rec is None:
        return "pending"
    ckpt = checkpoint_of(chain, rec)
    if not ckpt.is_file():
        raise StreetorderError(f"stage {stage}: checkpoint {ckpt} of its record is missing")
    if sha256_of(ckpt) != rec["checkpoint"]["sha256"]:
        raise StreetorderError(f"stage {stage}: checkpoint {ckpt} does not match its sha256")
    return "done" if rec.get("status") == "done" else "partial"


def next_stage(chain: Chain) -> StageSpec | None:
    """The first stage that is not done (a partial one continues), or None."""
    for s in chain.stages:
        if stage_status(chain, s.name) != "done":
            return s
    return None


def start_weights(chain: Chain, stage: StageSpec) -> tuple[Path, str]:
    """(path, sha256) the stage starts from: a partial snapshot of itself, the previous stage's
    checkpoint, or the file named in the chain; the sha256 is checked."""
    rec = read_record(chain, stage.name)
    if rec is not None and rec.get("status") == "partial":
        return checkpoint_of(chain, rec), rec["checkpoint"]["sha256"]
    if stage.start == PREVIOUS:
        prev = chain.stages[chain.names().index(stage.name) - 1]
        prec = read_record(chain, prev.name)
        if prec is None or prec.get("status") != "done":
            raise StreetorderError(f"stage {stage.name} needs stage {prev.name} done first")
        return checkpoint_of(chain, prec), prec["checkpoint"]["sha256"]
    path = (
        (REPO_ROOT / stage.start).resolve()
        if not Path(stage.start).is_absolute()
        else Path(stage.start)
    )
    if not path.is_file():
        raise StreetorderError(f"stage {stage.name}: start weights {path} not found")
    actual = sha256_of(path)
    if actual != stage.start_sha256:
        raise StreetorderError(
            f"stage {stage.name}: start weights {path} have sha256 {actual[:12]}…, the chain "
            f"expects {str(stage.start_sha256)[:12]}…"
        )
    return path, actual


def total_cost(chain: Chain) -> dict[str, Any]:
    """Wall and CPU time over every recorded stage run (partial runs included)."""
    wall = cpu = 0.0
    runs = 0
    for s in chain.stages:
        rec = read_record(chain, s.name)
        if rec is None:
            continue
        for run in rec.get("runs", []):
            wall += float(run.get("wall_seconds", 0))
            cpu += float(run.get("cpu_seconds", 0))
            runs += 1
    return {"runs": runs, "wall_hours": round(wall / 3600, 2), "cpu_hours": round(cpu / 3600, 2)}
