"""The server's root URL leads people to the console."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from streetorder.platform.settings import settings_from_mapping
from streetorder.server import create_app


def test_root_redirects_to_the_console(tmp_path: Path) -> None:
    settings = settings_from_mapping(
        {"database_url": f"sqlite:///{tmp_path / 'p.db'}", "evidence": {"dir": str(tmp_path)},
         "secret_key": "a-test-secret-that-is-long-enough-123"}
    )  # fmt: skip
    response = TestClient(create_app(settings)).get("/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/console"
