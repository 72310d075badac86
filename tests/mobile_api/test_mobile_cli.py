"""The scheduler command against a migrated database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from streetorder.mobile_api.db import InspectionTask
from tests.mobile_api.world import build_world


def test_schedule_command_creates_tasks_once(database_url: str, tmp_path: Path) -> None:
    world = build_world(database_url, tmp_path)
    world.client.close()
    env = {"STREETORDER_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"}
    cmd = [sys.executable, "-m", "streetorder", "mobile", "schedule"]
    first = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "created: 4" in first.stdout  # every shop of both streets, never inspected
    second = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert "created: 0" in second.stdout
    with world.db.session() as session:
        assert session.scalar(select(func.count()).select_from(InspectionTask)) == 4
    world.db.dispose()
