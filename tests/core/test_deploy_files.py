"""The deployment files in docs/deploy name real commands, flags and valid settings."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import pytest
import yaml

from streetorder.cli import build_parser
from streetorder.server.settings import load_settings

DEPLOY = Path(__file__).resolve().parents[2] / "docs" / "deploy"


def unit_commands(name: str) -> list[list[str]]:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment]
    unit.read(DEPLOY / name)
    service = unit["Service"]
    return [shlex.split(service[key]) for key in ("ExecStartPre", "ExecStart") if key in service]


@pytest.mark.parametrize("unit", ["streetorder-platform.service", "streetorder-edge.service"])
def test_systemd_units_run_commands_the_cli_has(unit: str) -> None:
    parser = build_parser()
    for argv in unit_commands(unit):
        assert argv[0].endswith("/streetorder")
        parser.parse_args(argv[1:])  # exits (SystemExit) on an unknown command or flag


def test_compose_trial_settings_validate_and_services_fit_together(monkeypatch) -> None:
    monkeypatch.setenv("STREETORDER_SECRET_KEY", "a-trial-secret-that-is-long-and-random-4f9c2a")
    monkeypatch.setenv("STREETORDER_DATABASE_URL", "postgresql+psycopg://u:p@postgres/streetorder")
    settings = load_settings(DEPLOY / "trial-platform.yaml").platform
    assert settings.evidence.backend == "s3" and settings.evidence.s3.bucket
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    platform_cmd = services["platform-a"]["command"]
    build_parser().parse_args(platform_cmd)
    for service in services.values():
        for mount in service.get("volumes", []):
            source = mount.split(":", 1)[0]
            if source.startswith("./"):
                assert (DEPLOY / source).is_file(), f"compose mounts a missing file: {source}"
        for needed in service.get("depends_on", {}):
            assert needed in services
    bucket = settings.evidence.s3.bucket
    assert bucket in services["bucket"]["entrypoint"][-1]  # the bucket the platform expects
    targets = yaml.safe_load((DEPLOY / "trial-prometheus.yml").read_text())
    scraped = targets["scrape_configs"][0]["static_configs"][0]["targets"]
    assert {t.split(":")[0] for t in scraped} == {"platform-a", "platform-b"}
