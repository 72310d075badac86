"""The demo's footage: the generator's scenario videos with ground truth and edge configs."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from streetorder.errors import StreetorderError


@dataclass(frozen=True)
class Scenario:
    name: str
    video: Path
    config: Path
    truth: Path
    episodes: int
    duration: float = 0.0


#: A real-street trap the demo adds: fixed furniture and a shop fitting the detector scores as
#: goods, racks or tables; the scene reference keeps it from raising an alert.
FURNITURE_SCENE = "furniture_only"
#: Another of the generator's real-street scenarios: goods put out among furniture, in rain, on
#: a shaking camera.
STREET_SCENES = (FURNITURE_SCENE, "goods_among_furniture")
#: Other shops: the smoke set's ``goods_left`` on other streets (generator seeds whose goods the
#: bundled detector finds), one camera each, so that the story has a case at every stage.
MORE_SHOPS = (3, 4, 5, 6)


def make_footage(out: Path, scenario_set: str = "smoke") -> list[Scenario]:
    """Generate (or reuse) the footage in ``out``: a scenario set, the street scenes in
    ``out/streets`` and ``goods_left`` on other streets in ``out/shop-<seed>``; list them."""
    _generate(out, ["--set", scenario_set], None)
    _generate(out / "streets", ["--set", "streets", "--only", *STREET_SCENES], STREET_SCENES)
    streets = [s for s in read_index(out / "streets") if s.name in STREET_SCENES]
    footage = read_index(out) + streets
    for seed in MORE_SHOPS:
        folder = out / f"shop-{seed}"
        _generate(folder, ["--set", "smoke", "--only", "goods_left", "--seed", str(seed)], None)
        footage += [replace(s, name=f"{s.name}-{seed}") for s in read_index(folder)]
    return footage


def _generate(out: Path, args: list[str], names: tuple[str, ...] | None) -> None:
    """Run the generator unless ``out`` already holds its index (with ``names``, if given)."""
    index = out / "index.json"
    if index.is_file() and (names is None or set(names) <= _names(index)):
        return
    cmd = [sys.executable, "-m", "streetorder", "models", "scenarios", *args, "--out", str(out)]
    cmd.append("--quiet")
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        tail = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise StreetorderError(f"footage generation failed: {tail}")


def _names(index: Path) -> set[str]:
    try:
        entries = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return set()
    if isinstance(entries, dict):
        entries = entries.get("scenarios", [])
    return {e["name"] if isinstance(e, dict) else str(e) for e in entries}


def read_index(out: Path) -> list[Scenario]:
    try:
        entries = json.loads((out / "index.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise StreetorderError(
            f"{out / 'index.json'}: cannot read the scenario index: {exc}"
        ) from None
    if isinstance(entries, dict):
        entries = entries.get("scenarios", [])
    scenarios = []
    for entry in entries:
        name = entry["name"] if isinstance(entry, dict) else str(entry)
        truth_path = out / f"{name}.truth.json"
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        scenarios.append(
            Scenario(
                name=name,
                video=out / truth["video"],
                config=out / truth["config"],
                truth=truth_path,
                episodes=len(truth["episodes"]),
                duration=float(truth.get("duration_seconds", 0.0)),
            )
        )
    if not scenarios:
        raise StreetorderError(f"{out}: the scenario index lists no scenarios")
    return scenarios
