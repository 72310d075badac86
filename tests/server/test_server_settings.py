"""One YAML file sets both parts: the platform's keys and the officer app's ``mobile:`` section."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from streetorder.errors import ConfigError
from streetorder.platform.sms.providers import OutboxProvider
from streetorder.server.jobs import PeriodicJobs
from streetorder.server.settings import load_settings
from tests.mobile_api.test_mobile_api_inspections import CLEAN, inspect
from tests.mobile_api.world import build_world


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "server.yaml"
    path.write_text(f"secret_key: a-test-secret-long-enough-0123\n{text}", encoding="utf-8")
    return path


def test_mobile_section_and_platform_keys_load_from_one_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "time_limits: {rectify_hours: 12}\n"
        "mobile:\n"
        "  colours: {clean_run_to_step_down: 5}\n"
        "  schedule: {red_days: 1, yellow_days: 3, green_days: 10}\n",
    )
    settings = load_settings(path)
    assert settings.platform.time_limits.rectify_hours == 12
    assert settings.mobile.colours.clean_run_to_step_down == 5
    assert (settings.mobile.schedule.red_days, settings.mobile.schedule.green_days) == (1, 10)


def test_no_mobile_section_means_the_defaults(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, "mobile:\ntimezone: Asia/Shanghai\n"))
    assert settings.mobile.schedule.green_days == 30


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "mobile:\n  schedule: {red_days: 0}\n",
            "server.yaml: mobile.schedule.red_days: Input should be greater than 0",
        ),
        ("mobile:\n  colour: {}\n", "server.yaml: mobile.colour: unknown key (check the spelling)"),
        ("mobile: [1]\n", "server.yaml: mobile: Input should be a valid dictionary"),
        ("sms: {provider: fax}\nmobile: {}\n", "server.yaml: sms.provider: Input should be"),
    ],
)
def test_bad_values_name_file_key_and_reason(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text))
    assert str(caught.value).endswith(message) or message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_files_intervals_drive_the_periodic_jobs(database_url: str, tmp_path: Path) -> None:
    loaded = load_settings(write(tmp_path, "mobile:\n  schedule: {green_days: 3}\n"))
    world = build_world(database_url, tmp_path, mobile=loaded.mobile)
    jobs = PeriodicJobs(
        world.db, world.rules, OutboxProvider(), mobile=loaded.mobile, clock=world.clock
    )
    try:
        assert jobs.run_once()["inspections_created"] == 4  # never inspected: due now
        inspect(world, "shop-1", CLEAN)  # green, closes its task
        world.clock.advance(timedelta(days=1))
        assert jobs.run_once()["inspections_created"] == 0  # due in 2 days, created 24 h ahead
        world.clock.advance(timedelta(days=1, hours=1))
        assert jobs.run_once()["inspections_created"] == 1  # the 30-day default would wait
        risk = world.get("officer-a", f"/merchants/{world.shops['shop-1']}/risk").json()
        last = datetime.fromisoformat(risk["last_inspected_at"])
        assert datetime.fromisoformat(risk["next_due_at"]) - last == timedelta(days=3)
    finally:
        world.client.close()
        world.db.dispose()
