"""The generator's smoke scenarios replayed with the bundled model: the event-level F1 target."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streetorder.cli import main


def _bundled_model() -> Path:
    bundle = pytest.importorskip("streetorder.models.bundle")
    path = Path(bundle.bundled_model_path())
    if not path.is_file():
        pytest.skip(f"bundled model {path} is not committed yet")
    return path


@pytest.mark.slow
def test_smoke_scenarios_meet_the_f1_target(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    model = _bundled_model()
    pytest.importorskip("streetorder.models.cli")
    scenario_dir: Path = request.getfixturevalue("scenario_dir")
    videos = sorted(scenario_dir.glob("*.mp4"))
    assert videos, f"no scenario videos in {scenario_dir}"
    out = tmp_path / "replay"
    args = ["replay", *map(str, videos), "--truth", "auto", "--out", str(out), "--no-video"]
    assert main([*args, "--model", str(model)]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    overall = metrics["overall"]
    assert overall["f1"] >= 0.95, metrics["scenarios"]
    assert metrics["alerts_on_no_violation_scenarios"] == 0, metrics["scenarios"]
    assert metrics["no_violation_scenarios"], "the smoke set should include a quiet scenario"
    # every alert in alerts.jsonl carries evidence whose files exist with the recorded size
    for line in (out / "alerts.jsonl").read_text().splitlines():
        msg = json.loads(line)
        if msg["kind"] == "alert":
            assert msg["evidence"]
            for ref in msg["evidence"]:
                assert (out / "evidence" / ref["filename"]).stat().st_size == ref["size_bytes"]
