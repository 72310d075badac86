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


def make_footage(out: Path, scenario_set: str = "smoke") -> list[Scenario]:
    """Generate (or reuse) a scenario set in ``out`` and list its scenarios."""
    index = out / "index.json"
    if not index.is_file():
        cmd = [sys.executable, "-m", "streetorder", "models", "scenarios", "--set", scenario_set]
        result = subprocess.run([*cmd, "--out", str(out)], capture_output=True, text=True)
        if result.returncode != 0:
            tail = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise StreetorderError(f"footage generation failed: {tail}")
    return read_index(out)


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
