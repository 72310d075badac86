"""The traps of real streets, generated and replayed with the bundled model (which mislabels a
shop's fixed fittings): fixed furniture raises no alert, goods already out at start are caught,
and the control without the scene reference shows the trap is real."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from streetorder.cli import main
from tests.edge.test_replay_scenarios import _bundled_model

SEED = 1  # a training-domain seed: never one the held-out benchmark reports on


@pytest.fixture(scope="module")
def streets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("streetorder.models.cli")
    from streetorder.models.synth.video import write_set

    out = tmp_path_factory.mktemp("streets")
    write_set(out, "streets", SEED, progress=False, only=["furniture_only", "goods_out_at_start"])
    return out


def replay(folder: Path, out: Path) -> dict:
    videos = sorted(folder.glob("*.mp4"))
    args = ["replay", *map(str, videos), "--truth", "auto", "--out", str(out), "--no-video"]
    assert main([*args, "--model", str(_bundled_model())]) == 0
    return json.loads((out / "metrics.json").read_text())


@pytest.mark.slow
def test_fixed_furniture_raises_no_alert_and_goods_out_at_start_are_caught(
    streets: Path, tmp_path: Path
) -> None:
    metrics = replay(streets, tmp_path / "replay")
    assert metrics["alerts_on_no_violation_scenarios"] == 0, metrics["scenarios"]
    start = metrics["scenarios"]["goods_out_at_start"]
    assert (start["tp"], start["fp"], start["fn"]) == (1, 0, 0), start
    assert start["delay_mean_seconds"] is not None and start["delay_mean_seconds"] < 5.0


@pytest.mark.slow
def test_without_the_scene_reference_the_shipped_model_alerts_on_a_fitting(
    streets: Path, tmp_path: Path
) -> None:
    control = tmp_path / "control"
    control.mkdir()
    for path in streets.iterdir():
        if path.suffix == ".yaml":
            config = yaml.safe_load(path.read_text(encoding="utf-8"))
            for zone in config["cameras"][0]["zones"]:
                zone["rules"]["only_new_objects"] = False
            (control / path.name).write_text(yaml.safe_dump(config), encoding="utf-8")
        else:
            (control / path.name).symlink_to(path)
    metrics = replay(control, tmp_path / "replay")
    assert metrics["scenarios"]["furniture_only"]["fp"] >= 1, metrics["scenarios"]
