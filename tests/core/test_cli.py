"""The one command-line tool: help everywhere, errors as one line with a non-zero exit."""

from __future__ import annotations

import subprocess
import sys

import pytest


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streetorder", *args], capture_output=True, text=True, timeout=120
    )


def test_top_level_help_lists_every_command() -> None:
    result = run("--help")
    assert result.returncode == 0
    for command in ("demo", "edge", "replay", "platform", "models", "bench"):
        assert command in result.stdout


@pytest.mark.parametrize("command", ["demo", "edge", "replay", "platform", "models", "bench"])
def test_every_command_has_help(command: str) -> None:
    result = run(command, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: streetorder" in result.stdout


def test_bad_config_is_one_line_not_a_traceback(tmp_path) -> None:
    bad = tmp_path / "node.yaml"
    bad.write_text("node_id: x\ncameras: []\n")
    result = run("edge", "check-config", "--config", str(bad))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("streetorder: error: ")
    assert "cameras" in lines[0]
