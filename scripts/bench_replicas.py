"""Two platform replicas, one SIGKILLed mid-ingest: lost, duplicated, and how long recovery takes.

Two `streetorder platform serve` processes share a fresh PostgreSQL database, a private
Mosquitto and an S3 bucket (moto's S3-protocol server). An edge outbox (the node's real
outbox, link and drainer, with receipts) sends ``--alerts`` alerts at ``--rate`` per second;
halfway, one replica is killed with SIGKILL. Reported: alerts lost and duplicated (cases per
alert id), time until the edge's outbox was empty, the ingest rate before and after the kill,
and when the survivor took the periodic jobs' lease.

    .venv/bin/python scripts/bench_replicas.py --alerts 3000 --rate 150
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from streetorder.platform.db.leases import JobLease  # noqa: E402
from tests.platform.conftest import AlertFactory, Clock  # noqa: E402
from tests.platform.test_platform_receipts import Edge  # noqa: E402
from tests.support.replicas import NODE, replica_cluster  # noqa: E402
from tests.support.s3 import s3_server  # noqa: E402


def lease_holder(cluster) -> str | None:
    with cluster.db.session() as session:
        lease = session.scalars(select(JobLease).where(JobLease.name == "periodic-jobs")).first()
        return None if lease is None or lease.expires_at < datetime.now(UTC) else lease.holder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--alerts", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=150.0, help="alerts per second")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        with s3_server(tmp / "s3") as s3, replica_cluster(tmp, s3) as cluster:
            factory = AlertFactory(Clock(datetime.now(UTC)), node=NODE)
            alerts = [factory() for _ in range(args.alerts)]
            ids = [a.alert_id for a in alerts]
            edge = Edge(tmp / "outbox.db", cluster.broker, NODE)
            while lease_holder(cluster) is None:  # the jobs' first round (every 15 s)
                time.sleep(0.5)
            # Kill the replica that runs the jobs, to see the lease taken over too.
            holder_pid = lease_holder(cluster).split(":")[1]
            doomed = next(r for r in cluster.replicas if str(r.process.pid) == holder_pid)
            holder_before = None
            try:
                started = time.monotonic()
                killed_at = None
                for i, alert in enumerate(alerts):
                    due = started + i / args.rate
                    time.sleep(max(0.0, due - time.monotonic()))
                    edge.send(alert)
                    if i == args.alerts // 2:
                        done_before = len(cluster.case_counts(ids))
                        holder_before = lease_holder(cluster)
                        doomed.kill()
                        killed_at = time.monotonic()
                        print(f"killed a replica after {i} alerts sent, {done_before} cases",
                              flush=True)  # fmt: skip
                last_print = 0.0
                while len(edge.outbox) and time.monotonic() - started < 600:
                    if time.monotonic() - last_print > 5:
                        print(f"  waiting: {len(edge.outbox)} alerts without receipt", flush=True)
                        last_print = time.monotonic()
                    time.sleep(0.1)
                drained = time.monotonic()
                takeover = None
                doomed_held = holder_before is not None and (
                    holder_before.split(":")[1] == str(doomed.process.pid)
                )
                while doomed_held and time.monotonic() - killed_at < 180:
                    holder = lease_holder(cluster)
                    if holder is not None and holder != holder_before:
                        takeover = time.monotonic() - killed_at
                        break
                    time.sleep(0.5)
            finally:
                edge.close()
            counts = cluster.case_counts(ids)
            lost = args.alerts - len(counts)
            doubled = sum(1 for n in counts.values() if n > 1)
            print()
            print(f"alerts {args.alerts} at {args.rate:g}/s; lost {lost}; duplicated {doubled}")
            print(f"outbox empty {drained - started:.1f} s after the first alert, "
                  f"{drained - killed_at:.1f} s after the kill "
                  f"(sending took {args.alerts / args.rate:.1f} s)")  # fmt: skip
            if not doomed_held:
                print("jobs' lease: held by the survivor all along (kill the other to see a "
                      "takeover)")  # fmt: skip
            elif takeover is None:
                print("jobs' lease: NOT taken over within 180 s")
            else:
                print(f"jobs' lease: the killed replica held it; the survivor took it "
                      f"{takeover:.1f} s after the kill (lease: 3 rounds of 15 s)")  # fmt: skip
            return 0 if lost == 0 and doubled == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
