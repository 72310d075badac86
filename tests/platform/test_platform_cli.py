"""``streetorder platform ...`` commands end to end (subprocesses on the test database)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from streetorder.platform.db import Camera, Database, EdgeNode, Merchant, User, Zone
from streetorder.platform.security import hash_api_key


def run(args: list[str], url: str, **env: str) -> subprocess.CompletedProcess[str]:
    config = ["--config", env.pop("CONFIG")] if "CONFIG" in env else []
    environ = {**os.environ, "STREETORDER_DATABASE_URL": url,
               "STREETORDER_SECRET_KEY": "cli-test-secret-0123456789", **env}  # fmt: skip
    command, *rest = args
    return subprocess.run(
        [sys.executable, "-m", "streetorder", "platform", command, *config, *rest],
        capture_output=True, text=True, env=environ, timeout=120,
    )  # fmt: skip


@pytest.mark.slow
def test_seed_demo_matches_an_edge_config_and_imports(database_url: str, tmp_path: Path) -> None:
    edge = {
        "node_id": "street-7",
        "platform": {"url": "http://127.0.0.1:8000", "token": "sok_from-the-edge-config-123"},
        "cameras": [{
            "id": "cam-a", "source": "rtsp://10.0.0.7/a",
            "zones": [
                {"id": "fa", "shop_id": "shop-a", "polygon": [[0, 0.5], [0.5, 0.5], [0.5, 1]],
                 "rules": {"dwell_seconds": 25}},
                {"id": "fb", "shop_id": "shop-b", "polygon": [[0.5, 0.5], [1, 0.5], [1, 1]]},
            ],
        }],
    }  # fmt: skip
    config = tmp_path / "edge.yaml"
    config.write_text(yaml.safe_dump(edge))
    fast = tmp_path / "platform.yaml"
    fast.write_text("auth: {bcrypt_rounds: 4}\n")
    r = run(["seed-demo", "--edge-config", str(config), "--password", "demo-pass-123"],
            database_url, CONFIG=str(fast))  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "merchants: shop-a, shop-b; zones: cam-a/fa, cam-a/fb" in r.stdout
    again = run(["seed-demo", "--edge-config", str(config)], database_url, CONFIG=str(fast))
    assert again.returncode == 0, again.stderr  # idempotent

    csv = tmp_path / "m.csv"
    csv.write_text("shop_id,name,mobile\nshop-c,三号店,13800001111\nshop-d,,13800001112\n", "utf-8")
    r = run(["import-merchants", str(csv)], database_url)
    assert r.returncode == 1 and "1 created, 0 updated, 1 refused" in r.stdout
    assert "line 3: name" in r.stdout
    r = run(["create-user", "auditor", "--role", "reviewer"], database_url,
            STREETORDER_NEW_PASSWORD="auditor-pass-1")  # fmt: skip
    assert r.returncode == 0, r.stderr
    r = run(["create-user", "auditor", "--role", "reviewer"], database_url,
            STREETORDER_NEW_PASSWORD="auditor-pass-1")  # fmt: skip
    assert (
        r.returncode == 2
        and r.stderr.strip() == "streetorder: error: user 'auditor' already exists"
    )

    db = Database(database_url)
    try:
        with db.session() as s:
            node = s.scalars(select(EdgeNode).filter_by(code="street-7")).one()
            camera = s.scalars(select(Camera).filter_by(node_id=node.id)).one()
            zones = {z.code: z for z in s.scalars(select(Zone).filter_by(camera_id=camera.id))}
            assert camera.source == "rtsp://10.0.0.7/a" and set(zones) == {"fa", "fb"}
            assert zones["fa"].rules["dwell_seconds"] == 25
            assert s.get(Merchant, zones["fa"].merchant_id).shop_id == "shop-a"
            key_user = s.scalars(select(User).filter_by(username="street-7")).one()
            assert key_user.api_key_hash == hash_api_key("sok_from-the-edge-config-123")
            assert s.scalar(select(Merchant.id).filter_by(shop_id="shop-c")) is not None
    finally:
        db.dispose()
