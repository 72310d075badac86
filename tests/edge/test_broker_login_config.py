"""An edge node's broker login: user name and password together, the user name the node id (the
broker ACL gives that login the node's own topics); `edge check-config` says what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from streetorder.cli import main
from streetorder.edge.config import load_edge_config

CAMERAS = [{"id": "cam-01", "source": "rtsp://10.0.0.5/stream1"}]


def node_file(tmp_path: Path, broker: dict) -> Path:
    path = tmp_path / "node.yaml"
    path.write_text(yaml.safe_dump({"node_id": "edge-01", "broker": broker, "cameras": CAMERAS}))
    return path


@pytest.mark.parametrize(
    ("broker", "message"),
    [
        (
            {"username": "edge-02", "password": "pw"},
            "broker.username 'edge-02' must be the node id 'edge-01'",
        ),
        ({"username": "edge-01"}, "broker: username 'edge-01' has no password"),
        ({"password": "pw"}, "broker: a password is set but no username"),
    ],
    ids=["another node's login", "no password", "no username"],
)
def test_check_config_refuses_a_broker_login_that_is_not_the_nodes(
    tmp_path, capsys, broker, message
) -> None:
    path = node_file(tmp_path, {"host": "127.0.0.1", **broker})
    assert main(["edge", "check-config", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: " in err and message in err


def test_a_node_logs_in_with_its_own_user_and_a_password_from_the_environment(
    tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("EDGE_MQTT_PW", "from-the-environment")
    path = node_file(tmp_path, {"username": "edge-01", "password": "${EDGE_MQTT_PW}"})
    config = load_edge_config(path)
    assert (config.broker.username, config.broker.password) == ("edge-01", "from-the-environment")
    anonymous = load_edge_config(node_file(tmp_path, {"host": "127.0.0.1"}))
    assert anonymous.broker.username is None
