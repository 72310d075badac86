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
from pathlib import Path

HERE = Path(__file__).resolve().parent
PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
PASSWORD = "bench-password-1"


def _case_api_bench():
    spec = importlib.util.spec_from_file_location("bench_case_api", HERE / "bench_case_api.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--merchants", type=int, default=5000)
    ap.add_argument("--requests", type=int, default=100)
    args = ap.parse_args()
    from fastapi.testclient import TestClient

    from streetorder.server import create_app

    base = _case_api_bench()
    with base.bench_database(args.cases, args.merchants, args.requests, keep=False) as bench:
        client = TestClient(create_app(bench.settings, db=bench.db))
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
                lambda: get(f"/console/queue/panel/{random.choice(bench.pending)}"), n
            ),
            "GET /console/cases/{id} (case page)": base.timed(
                lambda: get(f"/console/cases/{random.choice(bench.sample)}"), n
            ),
            "GET /console/dashboard?days=30": base.timed(
                lambda: get("/console/dashboard?days=30"), n
            ),
            "GET /console/dashboard?days=365": base.timed(
                lambda: get("/console/dashboard?days=365"), n
            ),
        }
        it = iter(bench.pending)

        def confirm() -> None:
            r = client.post(
                f"/console/cases/{next(it)}/review",
                json={"verdict": "confirm"},
                headers={"X-CSRF-Token": csrf},
            )
            assert r.status_code == 200, r.text

        results["POST /console/cases/{id}/review (confirm)"] = base.timed(
            confirm, len(bench.pending)
        )
        print(f"{bench.total} cases, in-process TestClient, HTML rendered:")
        for label, samples in results.items():
            print(f"  {label:44s} {base.percentiles(samples)}")
        return 0


if __name__ == "__main__":
    sys.exit(main())
