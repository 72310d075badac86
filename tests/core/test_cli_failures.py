"""Operational failures of every command are one line each, naming the file, host or key.

The real commands run as subprocesses, against a missing CA file, a database port nobody
listens on, a placeholder secret in production, missing referenced files and a bow-tie zone.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from tests.support.services import free_port

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "docs" / "examples"
REAL_SECRET = "Kx8v2nq9TzLmW4pR7sYb3dFh6jGc1aEo"


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("STREETORDER_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "streetorder", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=full_env,
        cwd=cwd,
    )


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The error output, asserted to be nothing but ``streetorder: error:`` lines."""
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines and all(line.startswith("streetorder: error: ") for line in lines), lines
    return [line.removeprefix("streetorder: error: ") for line in lines]


def node_config(tmp_path: Path, **changes) -> dict:
    config = yaml.safe_load((EXAMPLES / "node.yaml").read_text(encoding="utf-8"))
    config["storage"]["dir"] = str(tmp_path / "edge")
    config.update(changes)
    return config


def write(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_check_config_names_every_missing_file(tmp_path: Path) -> None:
    config = node_config(tmp_path, model={"path": "models/missing.onnx"})
    config["cameras"][0]["reference"] = {"image": "refs/clear.jpg"}
    config["cameras"][0]["source"] = "footage/cam2.mp4"
    path = write(tmp_path / "node.yaml", config)
    lines = error_lines(run("edge", "check-config", "--config", str(path)))
    assert lines == [
        f"{path}: broker.tls.ca_file: /etc/streetorder/ca.pem: file not found",
        f"{path}: model.path: {tmp_path / 'models/missing.onnx'}: file not found",
        f"{path}: cameras[0].source: {tmp_path / 'footage/cam2.mp4'}: file not found",
        f"{path}: cameras[0].reference.image: {tmp_path / 'refs/clear.jpg'}: file not found",
    ]


def test_check_config_passes_once_the_files_exist(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("not checked for content here\n")
    (tmp_path / "refs").mkdir()
    (tmp_path / "refs" / "clear.jpg").write_bytes(b"\xff\xd8")
    config = node_config(tmp_path)
    config["broker"]["tls"] = {"ca_file": str(ca)}
    config["cameras"][0]["reference"] = {"image": "refs/clear.jpg"}
    path = write(tmp_path / "node.yaml", config)
    result = run("edge", "check-config", "--config", str(path))
    assert result.returncode == 0, result.stderr
    assert f"{path}: valid" in result.stdout


def test_check_config_lists_all_validation_errors_and_refuses_a_bow_tie(tmp_path: Path) -> None:
    config = node_config(tmp_path)
    config["broker"]["port"] = 99999
    zones = config["cameras"][0]["zones"]
    zones[0]["polygon"] = [[0.05, 0.55], [0.45, 0.95], [0.45, 0.55], [0.05, 0.95]]  # bow tie
    zones[1]["rules"] = {"dwell_seconds": -5}
    path = write(tmp_path / "node.yaml", config)
    lines = error_lines(run("edge", "check-config", "--config", str(path)))
    assert len(lines) == 3, lines
    assert lines[0] == f"{path}: broker.port: Input should be less than or equal to 65535"
    assert lines[1].startswith(f"{path}: cameras[0].zones[0].polygon: not a simple polygon: ")
    assert "edges 1 and 3 cross" in lines[1]
    assert lines[2].startswith(f"{path}: cameras[0].zones[1].rules.dwell_seconds: ")
    assert not any("more)" in line for line in lines)


def test_edge_run_names_the_missing_ca_file(tmp_path: Path) -> None:
    config = node_config(tmp_path)
    path = write(tmp_path / "node.yaml", config)
    lines = error_lines(run("edge", "run", "--config", str(path)))
    assert lines == [f"{path}: broker.tls.ca_file: /etc/streetorder/ca.pem: file not found"]


def test_platform_serve_names_the_missing_ca_file(tmp_path: Path) -> None:
    settings = yaml.safe_load((EXAMPLES / "platform.yaml").read_text(encoding="utf-8"))
    settings["database_url"] = f"sqlite:///{tmp_path / 'platform.db'}"
    settings["secret_key"] = REAL_SECRET
    settings["evidence"]["dir"] = str(tmp_path / "evidence")
    path = write(tmp_path / "platform.yaml", settings)
    result = run("platform", "serve", "--migrate", "--config", str(path), "--port", "0")
    assert error_lines(result) == [
        f"{path}: broker.tls.ca_file: /etc/streetorder/ca.pem: file not found"
    ]


def test_placeholder_secret_is_refused_in_production() -> None:
    """The example file's default secret is an example text; production refuses it."""
    config = EXAMPLES / "platform.yaml"
    lines = error_lines(run("platform", "migrate", "--config", str(config)))
    assert len(lines) == 1
    assert lines[0].startswith(f"{config}: secret_key: a placeholder or shorter than 16 characters")
    assert "'production'" in lines[0]


def test_unreachable_database_is_one_line_naming_it(tmp_path: Path) -> None:
    port = free_port()  # nobody listens here
    url = f"postgresql+psycopg://streetorder:s3cret@127.0.0.1:{port}/streetorder"
    for command in (("platform", "migrate"), ("platform", "serve", "--port", "0")):
        result = run(*command, env={"STREETORDER_DATABASE_URL": url}, cwd=tmp_path)
        lines = error_lines(result)
        assert len(lines) == 1, lines
        assert lines[0].startswith(
            f"database postgresql+psycopg://streetorder:***@127.0.0.1:{port}/streetorder: "
            "cannot connect: "
        )
        assert "s3cret" not in result.stderr


def test_an_unusable_output_folder_is_one_line_naming_it(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    out = blocker / "out"
    for command in (
        ("models", "scenarios", "--set", "smoke", "--only", "goods_left", "--quiet"),
        ("demo", "--exit"),
    ):
        lines = error_lines(run(*command, "--out", str(out)))
        assert len(lines) == 1 and lines[0].startswith(f"{out}: "), lines


def test_an_unreachable_demo_broker_is_one_line_naming_it(tmp_path: Path) -> None:
    port = free_port()
    result = run("demo", "--exit", "--out", str(tmp_path / "demo"), "--broker", f"127.0.0.1:{port}")
    lines = error_lines(result)
    assert len(lines) == 1 and lines[0].startswith(f"MQTT broker 127.0.0.1:{port} (--broker): ")


def test_platform_serve_names_an_unusable_evidence_folder(tmp_path: Path) -> None:
    """Not at the first upload, after starting: at start, one line naming the key and folder."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    settings = yaml.safe_load((EXAMPLES / "platform.yaml").read_text(encoding="utf-8"))
    settings.update(database_url=f"sqlite:///{tmp_path / 'platform.db'}", secret_key=REAL_SECRET)
    settings["broker"] = None  # the evidence folder is checked whatever the broker
    settings["evidence"]["dir"] = str(blocker / "evidence")
    path = write(tmp_path / "platform.yaml", settings)
    result = run("platform", "serve", "--migrate", "--no-ingest", "--config", str(path),
                 "--port", "0")  # fmt: skip
    assert error_lines(result) == [
        f"{path}: evidence.dir: {blocker / 'evidence'}: cannot use it: Not a directory"
    ]
