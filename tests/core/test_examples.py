"""The example configs in docs/ validate, so the configuration reference stays true."""

from __future__ import annotations

from pathlib import Path

from streetorder.edge.config import load_edge_config

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def test_example_node_config_validates() -> None:
    cfg = load_edge_config(EXAMPLES / "node.yaml")
    assert cfg.cameras[0].zones[0].rules.schedule == ("08:00-21:00",)
    assert cfg.cameras[0].zones[1].rules.classes == ("goods", "rack", "table", "stall")


def test_example_platform_config_validates() -> None:
    from streetorder.server.settings import load_settings

    loaded = load_settings(EXAMPLES / "platform.yaml")
    settings = loaded.platform
    assert loaded.mobile.schedule.yellow_days == 7
    assert settings.public_url == "https://streetorder.city.example"
    assert settings.sms.provider == "http"
    assert settings.database_url.startswith("postgresql+psycopg://")
