"""Console benchmark: the web pages with many cases in PostgreSQL.

Fills a fresh database exactly as ``scripts/bench_case_api.py`` does (its ``FILL`` statements:
``--cases`` cases over a year, most closed, 2% pending review, 2% dispatched), logs in through the
console's form and times the pages in-process (FastAPI TestClient, no network, HTML rendered):

* ``GET /console/queue`` (the oldest 50 pending) and ``/console/queue/panel/{id}``
* ``GET /console/cases/{id}`` (case page: timeline, SMS, work orders, merchant history)
* ``GET /console/dashboard?days=30`` and ``?days=365`` (aggregate figures + SVG charts)
* ``POST /console/cases/{id}/review`` (confirm: exemption, SMS, work order, audit rows)

    .venv/bin/python scripts/bench_console.py --cases 1000000 --requests 100
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import re
import sys
import time
import uuid
from pathlib import Path

import psycopg

from streetorder.platform.db import Database
from streetorder.platform.db.migrate import upgrade
from streetorder.platform.services.seed import seed_demo
from streetorder.platform.settings import settings_from_mapping

HERE = Path(__file__).resolve().parent
PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
PASSWORD = "bench-password-1"


def _case_api_bench():
    spec = importlib.util.spec_from_file_location("bench_case_api", HERE / "bench_case_api.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--merchants", type=int, default=5000)
    ap.add_argument("--requests", type=int, default=100)
    args = ap.parse_args()
    from fastapi.testclient import TestClient

    from streetorder.platform.api import create_app

    base = _case_api_bench()
    name = f"so_bench_web_{uuid.uuid4().hex[:10]}"
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
        with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={name}", autocommit=True) as c:
            for statement in base.FILL.split(";\n\n"):
                c.execute(statement, {"cases": args.cases, "merchants": args.merchants})
            c.execute("VACUUM ANALYZE")
            total = c.execute("SELECT count(*) FROM cases").fetchone()[0]
            pending = [
                r[0]
                for r in c.execute(
                    "SELECT id FROM cases WHERE state = 'pending_review' "
                    "ORDER BY random() LIMIT %s",
                    (args.requests,),
                )
            ]
            ids = [r[0] for r in c.execute("SELECT id FROM cases ORDER BY random() LIMIT 1000")]
        print(f"filled {total} cases in {time.perf_counter() - t:.0f}s")
        settings = settings_from_mapping(
            {"environment": "test", "database_url": url, "secret_key": "bench-secret-0123456789",
             "evidence": {"dir": str(Path("/tmp") / name)}},
            "bench",
        )  # fmt: skip
        client = TestClient(create_app(settings, db=db))
        form = client.get("/console/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)[1]
        client.post(
            "/console/login",
            data={"username": "reviewer", "password": PASSWORD, "csrf_token": token},
        )
        page = client.get("/console/queue")
        assert page.status_code == 200, page.status_code
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text)[1]

        def get(path: str) -> None:
            r = client.get(path)
            assert r.status_code == 200, (path, r.status_code)

        n = args.requests
        results = {
            "GET /console/queue (oldest 50 pending)": base.timed(lambda: get("/console/queue"), n),
            "GET /console/queue/panel/{id}": base.timed(
                lambda: get(f"/console/queue/panel/{random.choice(pending)}"), n
            ),
            "GET /console/cases/{id} (case page)": base.timed(
                lambda: get(f"/console/cases/{random.choice(ids)}"), n
            ),
            "GET /console/dashboard?days=30": base.timed(
                lambda: get("/console/dashboard?days=30"), max(10, n // 5)
            ),
            "GET /console/dashboard?days=365": base.timed(
                lambda: get("/console/dashboard?days=365"), max(10, n // 10)
            ),
        }
        it = iter(pending)

        def confirm() -> None:
            r = client.post(
                f"/console/cases/{next(it)}/review",
                json={"verdict": "confirm"},
                headers={"X-CSRF-Token": csrf},
            )
            assert r.status_code == 200, r.text

        results["POST /console/cases/{id}/review (confirm)"] = base.timed(confirm, len(pending))
        print(f"{total} cases, in-process TestClient, HTML rendered:")
        for label, samples in results.items():
            print(f"  {label:44s} {base.percentiles(samples)}")
        return 0
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
