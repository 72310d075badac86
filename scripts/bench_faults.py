"""Fault suite: the edge SIGKILLed, the broker SIGKILLed, one of two platform replicas SIGKILLed,
all during one run; then count what was lost or doubled and verify every evidence file.

Parts, all real processes: a private Mosquitto (persistence on, own port), a fresh PostgreSQL
database, an S3-protocol server (moto's) as the evidence store, two ``streetorder platform
serve`` replicas under one shared subscription, and an edge process (this script with
``--edge``) running the node's own outbox, MQTT link and drainer (receipts) and its evidence
uploader, sending ``--alerts`` alerts with two JPEG files each at ``--rate`` per second.

    .venv/bin/python scripts/bench_faults.py --alerts 400 --rate 20

Timeline (by alerts enqueued): 25 % the edge is SIGKILLed and started again (it resumes from
its SQLite outbox and upload queue); 50 % the broker is SIGKILLed, down ``--broker-down``
seconds, started again; 70 % replica 1 is SIGKILLed (the edge uploads to replica 0). Printed:
alerts lost and doubled (cases per alert id), evidence files missing or not matching the
alert's sha256 (read back through the surviving replica's API), and how long the system took
to settle after the last alert was enqueued.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ZONES = (("z1", "shop-001"), ("z2", "shop-002"))


def alerts_of(count: int, t0: float, node: str):
    """The run's alerts and their files, the same in every process (deterministic)."""
    from tests.platform.conftest import AlertFactory, Clock

    factory = AlertFactory(Clock(datetime.fromtimestamp(t0, UTC)), node=node)
    alerts = [factory(zone=ZONES[i % 2][0], shop=ZONES[i % 2][1]) for i in range(count)]
    return alerts, factory.files


# -- the edge (child process) -------------------------------------------------------------


def run_edge(workdir: Path, host: str, port: int, url: str, count: int, rate: float, t0: float):
    from streetorder.config.common import BrokerConfig
    from streetorder.contracts import encode, topics
    from streetorder.edge.transport.mqtt import Drainer, MqttLink
    from streetorder.edge.transport.queue import Outbox
    from streetorder.edge.transport.receipts import outbox_id
    from streetorder.edge.transport.uploader import EvidenceUploader
    from tests.support.replicas import NODE, NODE_KEY

    alerts, files = alerts_of(count, t0, NODE)
    outbox = Outbox(workdir / "outbox.db")
    stop = threading.Event()
    link = MqttLink(BrokerConfig(host=host, port=port, keepalive_seconds=5), NODE,
                    reconnect_max_seconds=1)  # fmt: skip
    drainer = Drainer(outbox, link, stop, receipt_timeout=3.0, receipt_timeout_max=6.0)
    uploader = EvidenceUploader(workdir / "uploads.db", url, NODE_KEY, backoff_base=0.5,
                                backoff_max=4.0)  # fmt: skip
    link.start()
    drainer.start()
    uploader.start(stop)
    progress = workdir / "progress"
    done = int(progress.read_text()) if progress.exists() else 0
    evidence = workdir / "evidence"
    for i in range(done, count):
        alert = alerts[i]
        folder = evidence / alert.alert_id
        folder.mkdir(parents=True, exist_ok=True)
        pairs = []
        for ref in alert.evidence:
            path = folder / ref.filename
            path.write_bytes(files[alert.alert_id][ref.filename])
            pairs.append((ref, path))
        uploader.add(alert.alert_id, pairs)
        outbox.put(outbox_id("alert", alert.alert_id), topics.alerts(NODE), encode(alert))
        tmp = progress.with_suffix(".tmp")
        tmp.write_text(str(i + 1))
        os.replace(tmp, progress)
        time.sleep(1.0 / rate)
    status = workdir / "status.json"
    while True:  # report until the parent ends this process
        state = {"outbox": len(outbox), "uploads_pending": uploader.pending(),
                 "uploads_failed": len(uploader.failed())}  # fmt: skip
        tmp = status.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, status)
        time.sleep(0.3)


# -- the run --------------------------------------------------------------------------------


def progress_of(workdir: Path) -> int:
    try:
        return int((workdir / "progress").read_text())
    except (OSError, ValueError):
        return 0


def status_of(workdir: Path) -> dict:
    try:
        return json.loads((workdir / "status.json").read_text())
    except (OSError, ValueError):
        return {}


def wait(check, timeout: float, what: str) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():
            return time.monotonic() - start
        time.sleep(0.2)
    raise SystemExit(f"{what}: not reached within {timeout:.0f} s")


def verify(cluster, base: str, alerts, files) -> dict:
    """Cases per alert id, and every evidence file read back through the platform's API."""
    import httpx
    from sqlalchemy import select

    from streetorder.platform.db import EvidenceFile
    from tests.support.replicas import PASSWORD

    ids = [a.alert_id for a in alerts]
    counts = cluster.case_counts(ids)
    with cluster.db.session() as session:
        rows = session.execute(
            select(EvidenceFile.id, EvidenceFile.alert_id, EvidenceFile.filename)
            .where(EvidenceFile.alert_id.in_(ids))
        ).all()  # fmt: skip
    stored = {(alert_id, name): file_id for file_id, alert_id, name in rows}
    missing = mismatched = verified = 0
    with httpx.Client(base_url=base, timeout=30) as client:
        token = client.post("/api/v1/auth/login",
                            json={"username": "reviewer", "password": PASSWORD}).json()  # fmt: skip
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        for alert in alerts:
            for ref in alert.evidence:
                file_id = stored.get((alert.alert_id, ref.filename))
                if file_id is None:
                    missing += 1
                    continue
                got = client.get(f"/api/v1/evidence/{file_id}", headers=headers)
                digest = hashlib.sha256(got.content).hexdigest()
                expected = hashlib.sha256(files[alert.alert_id][ref.filename]).hexdigest()
                if got.status_code != 200 or digest != ref.sha256 or digest != expected:
                    mismatched += 1
                else:
                    verified += 1
    return {
        "alerts": len(ids), "lost": len(ids) - len(counts),
        "doubled": sum(1 for n in counts.values() if n > 1),
        "evidence_files": sum(len(a.evidence) for a in alerts), "evidence_verified": verified,
        "evidence_missing": missing, "evidence_mismatched": mismatched,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=400)
    parser.add_argument("--rate", type=float, default=20.0, help="alerts enqueued per second")
    parser.add_argument("--broker-down", type=float, default=3.0, help="seconds")
    parser.add_argument("--timeout", type=float, default=300.0, help="to settle, seconds")
    parser.add_argument("--edge", nargs=7, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.edge:
        workdir, host, port, url, count, rate, t0 = args.edge
        run_edge(Path(workdir), host, int(port), url, int(count), float(rate), float(t0))
        return

    from tests.support.replicas import NODE, replica_cluster
    from tests.support.s3 import s3_server

    t0 = time.time()
    alerts, files = alerts_of(args.alerts, t0, NODE)
    events: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-faults-") as tmp_name:
        tmp = Path(tmp_name)
        edge_dir = tmp / "edge"
        edge_dir.mkdir()
        with s3_server(tmp / "s3") as s3, replica_cluster(tmp / "cluster", s3, 2) as cluster:
            broker, survivor, victim = cluster.broker, cluster.replicas[0], cluster.replicas[1]
            cmd = [
                sys.executable,
                __file__,
                "--edge",
                str(edge_dir),
                broker.host,
                str(broker.port),
                survivor.base,
                str(args.alerts),
                str(args.rate),
                str(t0),
            ]
            log = (tmp / "edge.log").open("ab")

            def spawn() -> subprocess.Popen:
                return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)

            edge = spawn()
            try:
                n = args.alerts
                wait(lambda: progress_of(edge_dir) >= n * 0.25, 120, "25 % enqueued")
                os.kill(edge.pid, signal.SIGKILL)
                edge.wait(10)
                events.append({"edge_sigkilled_at": progress_of(edge_dir)})
                time.sleep(1.0)
                edge = spawn()
                wait(lambda: progress_of(edge_dir) >= n * 0.5, 120, "50 % enqueued")
                broker.kill()
                events.append({"broker_sigkilled_at": progress_of(edge_dir)})
                time.sleep(args.broker_down)
                broker.start()
                wait(lambda: progress_of(edge_dir) >= n * 0.7, 120, "70 % enqueued")
                victim.kill()
                events.append({"replica_sigkilled_at": progress_of(edge_dir)})
                wait(lambda: progress_of(edge_dir) >= n, 300, "all enqueued")
                last = time.monotonic()
                wait(
                    lambda: status_of(edge_dir).get("outbox") == 0
                    and status_of(edge_dir).get("uploads_pending") == 0,
                    args.timeout, "outbox and uploads empty",
                )  # fmt: skip
                settle_seconds = round(time.monotonic() - last, 1)
                result = verify(cluster, survivor.base, alerts, files)
                result |= {"uploads_failed": status_of(edge_dir).get("uploads_failed"),
                           "settled_after_last_alert_s": settle_seconds,
                           "faults": events, "rate": args.rate}  # fmt: skip
                print(json.dumps(result, ensure_ascii=False), flush=True)
            finally:
                if edge.poll() is None:
                    edge.terminate()
                    try:
                        edge.wait(10)
                    except subprocess.TimeoutExpired:
                        edge.kill()
                log.close()


if __name__ == "__main__":
    main()
