"""The demo's footage: the generator's scenario videos with ground truth and edge configs."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from streetorder.errors import StreetorderError


@dataclass(frozen=True)
class Scenario:
    name: str
    video: Path
    config: Path
    truth: Path
    episodes: int


#: A real-street trap the demo adds: fixed furniture and a shop fitting the detector scores as
#: goods, racks or tables; the scene reference keeps it from raising an alert.
FURNITURE_SCENE = "furniture_only"


def make_footage(out: Path, scenario_set: str = "smoke") -> list[Scenario]:
    """Generate (or reuse) a scenario set in ``out``, plus the furniture scene in
    ``out/streets``, and list their scenarios."""
    _generate(out, ["--set", scenario_set])
    _generate(out / "streets", ["--set", "streets", "--only", FURNITURE_SCENE])
    return read_index(out) + read_index(out / "streets")


def _generate(out: Path, args: list[str]) -> None:
    if (out / "index.json").is_file():
        return
    cmd = [sys.executable, "-m", "streetorder", "models", "scenarios", *args, "--out", str(out)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        tail = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise StreetorderError(f"footage generation failed: {tail}")


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
            )
        )
    if not scenarios:
        raise StreetorderError(f"{out}: the scenario index lists no scenarios")
    return scenarios
