"""Officer-app task list latency on a busy squad (fresh PostgreSQL database, dropped after).

One squad's street with ``--shops`` merchants (every colour), each with a scheduled inspection
task, and ``--orders`` dispatched work orders (camera alert → case → confirmed → work order,
through the platform's own services). Then, in process through the ASGI app:
``GET /tasks`` first page, a deep page, the work orders only, a ``changed_since`` sync, and
``POST /inspections``; p50/p95/p99 in milliseconds.

    .venv/bin/python scripts/bench_mobile_tasks.py --shops 3000 --orders 300 --requests 200
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
from fastapi.testclient import TestClient

from streetorder.contracts import Alert
from streetorder.mobile_api.jobs import run_scheduler
from streetorder.platform.db import Case, Database, Merchant
from streetorder.platform.domain.roles import Actor, Role
from streetorder.platform.schemas.registry import SquadCreate, StreetCreate, UserCreate
from streetorder.platform.services import cases, ingest, registry
from streetorder.platform.services.rules import Rules
from streetorder.platform.settings import PlatformSettings
from streetorder.server import create_app
from streetorder.server.migrate import upgrade

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
PASSWORD = "bench-password-1"
CLEAN = dict.fromkeys(
    ("out_of_shop_trading", "pavement_occupied", "frontage_clean", "signboard_safe",
     "waste_sorted"), "pass",
)  # fmt: skip


def seed(db: Database, settings: PlatformSettings, shops: int, orders: int) -> list[int]:
    rules = Rules.from_settings(settings)
    now = datetime.now(UTC)
    with db.session() as session:
        registry.create_street(session, data=StreetCreate(code="S", name="长宁路街道"))
        registry.create_squad(session, data=SquadCreate(code="Q", name="一中队", street_code="S"))
        street_id = registry.get_street(session, code="S").id
        for username, role in (("officer", "officer"), ("leader", "squad_leader"),
                               ("reviewer", "reviewer")):  # fmt: skip
            registry.create_user(
                session, bcrypt_rounds=4,
                data=UserCreate(username=username, role=role, password=PASSWORD,
                                squad_code="Q" if role != "reviewer" else None),
            )  # fmt: skip
        colours = ("green", "yellow", "red")
        session.add_all(
            Merchant(shop_id=f"shop-{i:05d}", name=f"店铺{i}", address=f"长宁路{i}号",
                     risk_colour=colours[i % 3], street_id=street_id)
            for i in range(shops)
        )  # fmt: skip
    with db.session() as session:
        alerts = [
            Alert(
                alert_id=f"a-{i:05d}",
                node_id="n",
                camera_id="c",
                zone_id=f"z{i}",
                shop_id=f"shop-{i:05d}",
                episode_started_at=now - timedelta(minutes=10),
                threshold_crossed_at=now - timedelta(minutes=5),
                dwell_seconds=300,
                objects=[{"class_name": "goods", "score": 0.9, "box_xyxy": (0, 0, 9, 9)}],
                frame_size=(1280, 720),
                model={"name": "m", "version": "1"},
                created_at=now,
            )  # fmt: skip
            for i in range(orders)
        ]
        ingest.ingest_alerts(session, alerts=alerts, rules=rules, now=now)
    reviewer = Actor(role=Role.REVIEWER, name="reviewer")
    with db.session() as session:
        ids = [c.id for c in session.query(Case).order_by(Case.id)]
        for case_id in ids:
            cases.confirm(session, case_id=case_id, actor=reviewer, rules=rules, now=now)
    run_scheduler(db, now=now)
    with db.session() as session:
        return [m.id for m in session.query(Merchant).order_by(Merchant.id)]


def timed(label: str, n: int, call) -> None:
    samples = []
    for i in range(n):
        start = time.perf_counter()
        response = call(i)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code < 300, response.text
    samples.sort()
    q = statistics.quantiles(samples, n=100)
    print(f"{label:<34} p50 {q[49]:6.1f}  p95 {q[94]:6.1f}  p99 {q[98]:6.1f} ms  (n={n})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shops", type=int, default=3000)
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    name = f"bench_mobile_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    db = None
    try:
        upgrade(url)
        settings = PlatformSettings(environment="test", secret_key="bench-secret-key-0123456789",
                                    database_url=url)  # fmt: skip
        db = Database(url)
        t0 = time.perf_counter()
        merchant_ids = seed(db, settings, args.shops, args.orders)
        print(f"seeded {args.shops} shops, {args.orders} work orders in "
              f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
        client = TestClient(create_app(settings, db=db))
        login = client.post("/api/mobile/v1/auth/login",
                            json={"username": "officer", "password": PASSWORD}).json()  # fmt: skip
        auth = {"Authorization": f"Bearer {login['access_token']}"}
        first = client.get("/api/mobile/v1/tasks", headers=auth).json()
        print(f"tasks in the squad's list: {first['count']}")
        since = first["server_time"]
        n = args.requests
        base = "/api/mobile/v1/tasks"
        timed("GET /tasks (first 50)", n, lambda i: client.get(base, headers=auth))
        timed("GET /tasks offset 1000", n,
              lambda i: client.get(base, params={"offset": 1000}, headers=auth))  # fmt: skip
        timed("GET /tasks kind=work_order", n,
              lambda i: client.get(base, params={"kind": "work_order"}, headers=auth))  # fmt: skip
        timed("POST /inspections (clean)", n, lambda i: client.post(
            "/api/mobile/v1/inspections", json={"merchant_id": merchant_ids[i], "answers": CLEAN},
            headers=auth | {"Idempotency-Key": f"bench-{i:08d}"}))  # fmt: skip
        sync = {"changed_since": since}
        timed("GET /tasks changed_since (sync)", n,
              lambda i: client.get(base, params=sync, headers=auth))  # fmt: skip
        client.close()
    finally:
        if db is not None:
            db.dispose()
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
