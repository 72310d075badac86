"""The README's main job: the demo runs the whole chain and exits 0 with a summary."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
@pytest.mark.mqtt
def test_demo_runs_the_whole_chain(tmp_path: Path, mqtt_broker, scenario_dir: Path) -> None:
    out = tmp_path / "demo"
    shutil.copytree(scenario_dir, out / "footage")  # the same smoke set the demo would generate
    result = subprocess.run(
        [sys.executable, "-m", "streetorder", "demo", "--out", str(out),
         "--broker", f"{mqtt_broker.host}:{mqtt_broker.port}"],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["alerts"] >= 1
    assert summary["cases"] == summary["confirmed"] + summary["rejected"]  # every case reviewed
    assert summary["confirmed"] >= 1
    assert summary["sms"] and all(m["body"] for m in summary["sms"])
    assert summary["work_orders"] >= 1
    assert summary["closed_case"]["state"] == "closed"
    assert any("close" in step for step in summary["closed_case"]["timeline"])
    # the notify_first street: the merchant corrected, the camera saw it, no officer went
    corrected = summary["self_corrected_case"]
    assert corrected["state"] == "closed" and "after_frame" in corrected["evidence"]
    assert "self_correct" in corrected["timeline"] and "dispatch" not in corrected["timeline"]
    assert summary["replay_metrics"]["f1"] >= 0.9
    # the furniture scene: a shop fitting the model scores as goods/rack/table, no alert
    assert "furniture_only" in summary["footage"]
    assert summary["furniture_scene_alerts"] == 0
    assert "furniture scene:           0 alert(s), none, as expected" in result.stdout
    assert list((out / "edge" / "evidence").glob("*_annotated.jpg"))
    assert "console:" in result.stdout and "/console" in result.stdout
