"""Config files: errors name the file, the key and the reason; secrets from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from streetorder.edge.config import load_edge_config
from streetorder.errors import ConfigError

GOOD = """
node_id: edge-01
broker: {host: 127.0.0.1, port: 1883, username: edge-01, password: "${EDGE_PW}"}
cameras:
  - id: cam-01
    source: rtsp://10.0.0.5/stream1
    zones:
      - id: z1
        shop_id: shop-001
        polygon: [[0.1, 0.5], [0.4, 0.5], [0.4, 0.9], [0.1, 0.9]]
        rules: {dwell_seconds: 120, schedule: ["08:00-21:00"]}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "node.yaml"
    path.write_text(text)
    return path


def test_good_config_loads_with_secret_from_env(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("EDGE_PW", "s3cret")
    cfg = load_edge_config(write(tmp_path, GOOD))
    assert cfg.broker.password == "s3cret"
    zone = cfg.cameras[0].zones[0]
    assert zone.rules.dwell_seconds == 120
    assert zone.rules.classes == ("goods", "rack", "table", "stall", "umbrella")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("port: 1883", "port: 99999"), r"broker\.port: .*less than or equal to 65535"),
        (("dwell_seconds: 120", "dwel_seconds: 120"), r"rules\.dwel_seconds: unknown key"),
        (
            ("[0.4, 0.9], [0.1, 0.9]", "[0.4, 1.9]"),
            r"cameras\[0\]\.zones\[0\]\.polygon: .*outside 0..1",
        ),
        (('"08:00-21:00"', '"8am-9pm"'), r"schedule: schedule window '8am-9pm' is not HH:MM-HH:MM"),
        (("node_id: edge-01", "node_id: 'edge 01'"), r"node_id: String should match pattern"),
        (("source: rtsp://10.0.0.5/stream1", "source: ''"), r"cameras\[0\]\.source"),
    ],
)
def test_bad_values_name_file_key_and_reason(tmp_path, monkeypatch, edit, message) -> None:
    monkeypatch.setenv("EDGE_PW", "x")
    path = write(tmp_path, GOOD.replace(*edit))
    with pytest.raises(ConfigError, match=message) as info:
        load_edge_config(path)
    assert str(info.value).startswith(str(path))


def test_missing_secret_names_the_variable(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("EDGE_PW", raising=False)
    with pytest.raises(
        ConfigError, match=r"broker\.password: environment variable EDGE_PW is not set"
    ):
        load_edge_config(write(tmp_path, GOOD))


def test_unreadable_and_malformed_files(tmp_path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_edge_config(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="not valid YAML at line"):
        load_edge_config(write(tmp_path, "node_id: [unclosed\n"))
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_edge_config(write(tmp_path, "- a\n- b\n"))
