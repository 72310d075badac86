"""Case API benchmark: review queue and case endpoints with many cases in PostgreSQL.

Fills a fresh database with ``--cases`` cases (default 1,000,000) and two audit rows each,
spread over a year and over ``--merchants`` merchants (most closed, some pending review, some
dispatched), then times the API in-process (FastAPI TestClient, no network):

* ``GET /cases/review-queue?limit=50`` (oldest pending first, with the total count)
* ``GET /cases?state=notified_dispatched&overdue=true&limit=50`` (the yellow lights)
* ``GET /cases/{id}`` (a case page with its history)
* ``POST /cases/{id}/confirm`` (exemption look-up, SMS, work order, audit rows)

    .venv/bin/python scripts/bench_case_api.py --cases 1000000 --requests 200
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from streetorder.platform.db import Database, rollups
from streetorder.platform.services.seed import seed_demo
from streetorder.platform.settings import settings_from_mapping
from streetorder.server.migrate import upgrade

PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
PASSWORD = "bench-password-1"

FILL = """
INSERT INTO merchants (shop_id, name, address, responsible_person, mobile, risk_colour, street_id,
                       created_at, updated_at)
SELECT 'm-' || g, '商户' || g, '东方路' || g || '号', '负责人', '139' || lpad(g::text, 8, '0'),
       'green', 1, now(), now()
FROM generate_series(1, %(merchants)s) g;

INSERT INTO cases (alert_id, source, state, track, merchant_id, street_id, squad_id, node_code,
                   camera_code, zone_code, shop_id, place, discovered_at, created_at, updated_at,
                   step_started_at, deadline_at, confirmed_at, dispatched_at, closed_at,
                   urge_count, extension_count, rework_count, alert_count)
SELECT 'al-bench-' || g, 'camera', s.state,
       CASE WHEN s.state = 'pending_review' THEN NULL ELSE 'exempt' END,
       3 + (g %% %(merchants)s), 1, 1, 'edge-01', 'cam-01', 'z1', 'm-' || (g %% %(merchants)s),
       '东方路', t.at, t.at, t.at, t.at,
       CASE WHEN s.state IN ('pending_review', 'notified_dispatched')
            THEN t.at + interval '24 hours' END,
       CASE WHEN s.state <> 'pending_review' THEN t.at END,
       CASE WHEN s.state <> 'pending_review' THEN t.at END,
       CASE WHEN s.state = 'closed' THEN t.at + interval '30 hours' END, 0, 0, 0, 1
FROM generate_series(1, %(cases)s) g
CROSS JOIN LATERAL (SELECT now() - (interval '365 days' * (%(cases)s - g) / %(cases)s) AS at) t
CROSS JOIN LATERAL (SELECT CASE WHEN g %% 50 = 0 THEN 'pending_review'
                                WHEN g %% 50 = 1 THEN 'notified_dispatched'
                                ELSE 'closed' END AS state) s;

INSERT INTO case_events (case_id, event, from_state, to_state, actor_role, actor_name, at, note,
                         data)
SELECT c.id, e.event, e.from_state, e.to_state, 'system', 'system', c.discovered_at, '', '{}'
FROM cases c
CROSS JOIN (VALUES ('discover', NULL, 'discovered'),
                   ('register', 'discovered', 'pending_review')) AS e(event, from_state, to_state);
"""


def percentiles(samples: list[float]) -> str:
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return (
        f"p50 {q[49]:6.1f} ms  p95 {q[94]:6.1f} ms  p99 {q[98]:6.1f} ms  max {max(samples):6.1f} ms"
    )


def timed(call, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        call()
        out.append((time.perf_counter() - t) * 1000)
    return out


@dataclass
class BenchDatabase:
    url: str
    db: Database
    settings: object  # PlatformSettings for the app
    total: int
    size: str
    pending: list[int]  # random pending-review case ids
    sample: list[int]  # 1,000 random case ids


@contextmanager
def bench_database(cases: int, merchants: int, pending: int, keep: bool) -> Iterator[BenchDatabase]:
    """A fresh PostgreSQL database filled by ``FILL``, dropped afterwards unless ``keep``."""
    name = f"so_bench_{uuid.uuid4().hex[:10]}"
    admin_dsn = "host=127.0.0.1 user=postgres dbname=postgres"
    with psycopg.connect(admin_dsn, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    url = f"{PG}/{name}"
    try:
        upgrade(url)
        db = Database(url)
        with db.session() as s:
            seed_demo(s, password=PASSWORD, bcrypt_rounds=4)
        t = time.perf_counter()
        dsn = f"host=127.0.0.1 user=postgres dbname={name}"
        with psycopg.connect(dsn, autocommit=True) as c:
            for statement in FILL.split(";\n\n"):
                c.execute(statement, {"cases": cases, "merchants": merchants})
        filled = time.perf_counter() - t
        with db.session() as s:  # the cases went in behind the ORM: recount the dashboard's sums
            rollups.rebuild(s)
        print(f"dashboard rollups rebuilt in {time.perf_counter() - t - filled:.0f}s")
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute("VACUUM ANALYZE")
            size = c.execute(
                "SELECT pg_size_pretty(pg_database_size(current_database()))"
            ).fetchone()[0]
            total = c.execute("SELECT count(*) FROM cases").fetchone()[0]
            pending_ids = [r[0] for r in c.execute(
                "SELECT id FROM cases WHERE state = 'pending_review' ORDER BY random() LIMIT %s",
                (pending,),
            )]  # fmt: skip
            ids = [r[0] for r in c.execute("SELECT id FROM cases ORDER BY random() LIMIT 1000")]
        print(f"filled {total} cases in {filled:.0f}s (database {size})")
        settings = settings_from_mapping(
            {"environment": "test", "database_url": url, "secret_key": "bench-secret-0123456789",
             "evidence": {"dir": str(Path("/tmp") / name)}},
            "bench",
        )  # fmt: skip
        yield BenchDatabase(url, db, settings, total, size, pending_ids, ids)
    finally:
        if not keep:
            with psycopg.connect(admin_dsn, autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--merchants", type=int, default=5000)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--keep-db", action="store_true")
    args = ap.parse_args()
    from fastapi.testclient import TestClient

    from streetorder.server import create_app

    with bench_database(args.cases, args.merchants, args.requests, args.keep_db) as bench:
        client = TestClient(create_app(bench.settings, db=bench.db))
        token = client.post(
            "/api/v1/auth/login", json={"username": "reviewer", "password": PASSWORD}
        ).json()["access_token"]
        h = {"Authorization": f"Bearer {token}"}

        def get(path: str, **params) -> None:
            r = client.get(path, headers=h, params=params)
            assert r.status_code == 200, r.text

        get("/api/v1/cases/review-queue", limit=50)  # warm up
        n = args.requests
        queue_count = client.get("/api/v1/cases/review-queue", headers=h).json()["count"]
        results = {
            f"GET review-queue (limit 50 of {queue_count})": timed(
                lambda: get("/api/v1/cases/review-queue", limit=50), n
            ),
            "GET review-queue page 20 (offset 1000)": timed(
                lambda: get("/api/v1/cases/review-queue", limit=50, offset=1000), n
            ),
            "GET cases?state=notified_dispatched&overdue=true": timed(
                lambda: get("/api/v1/cases", state="notified_dispatched", overdue="true", limit=50),
                n,
            ),
            "GET cases/{id} (detail with history)": timed(
                lambda: get(f"/api/v1/cases/{random.choice(bench.sample)}"), n
            ),
        }
        it = iter(bench.pending)

        def confirm() -> None:
            r = client.post(f"/api/v1/cases/{next(it)}/confirm", json={}, headers=h)
            assert r.status_code == 200, r.text

        results["POST cases/{id}/confirm (exemption, SMS, work order)"] = timed(
            confirm, len(bench.pending)
        )
        print(f"{bench.total} cases, {n} requests each, in-process TestClient:")
        for label, samples in results.items():
            print(f"  {label:58s} {percentiles(samples)}")
        return 0


if __name__ == "__main__":
    sys.exit(main())
