"""Ingest benchmark: alerts from Mosquitto into PostgreSQL through the platform's consumer.

Three phases on a fresh PostgreSQL database (created and dropped here):

1. **live throughput**: ``--alerts`` alerts (plus ``--duplicates`` share sent twice) published as
   fast as a separate publisher process can while the consumer runs; alerts/s = distinct alerts /
   time until the last case exists. On 2 cores the Python publisher competes with the consumer
   for the CPU, so this is a lower bound. Checks every alert has exactly one case.
2. **backlog drain** (the sustained ingest rate): the consumer (a persistent session) is stopped,
   ``--alerts`` more alerts wait in Mosquitto, and the consumer is started again; alerts/s =
   distinct alerts / time from its start until the last case exists. Nothing else runs meanwhile.
3. **latency**: ``--rate`` alerts/s for ``--seconds``; alert-to-case latency = the case's
   ``created_at`` minus the alert's ``created_at`` (stamped by the publisher just before
   sending), p50/p95/p99.

    .venv/bin/python scripts/bench_ingest.py --alerts 20000 --rate 200 --seconds 30

By default a private Mosquitto is started with production limits (``max_queued_messages``
100000, ``max_inflight_messages`` 1000): Mosquitto's defaults (1000 queued, 20 in flight) drop
QoS 1 messages for a subscriber that falls 1,020 messages behind, whatever the subscriber does.
``--mqtt host:port`` uses an existing broker instead.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import func, select, text

from streetorder.config.common import BrokerConfig
from streetorder.contracts import Alert, DetectedObject, ModelInfo, encode, stable_alert_id, topics
from streetorder.platform.db import Case, Database
from streetorder.platform.ingest.consumer import IngestConsumer
from streetorder.platform.services.rules import Rules
from streetorder.platform.services.seed import seed_demo
from streetorder.platform.settings import IngestSettings, settings_from_mapping
from streetorder.server.migrate import upgrade

PG = "postgresql+psycopg://postgres@127.0.0.1:5432"


ID_EPOCH = datetime(2026, 11, 1, tzinfo=UTC)


def make_alert(node: str, i: int, zone: str, created: datetime) -> Alert:
    """The i-th alert (its id from i alone); its times are now's, as the ingest only takes
    times inside its clock-skew window."""
    started = created - timedelta(minutes=5)
    return Alert(
        alert_id=stable_alert_id(node, "cam-01", zone, ID_EPOCH, 0, episode_key=str(i)),
        node_id=node,
        camera_id="cam-01", zone_id=zone, shop_id="shop-001" if zone == "z1" else "shop-002",
        episode_started_at=started, threshold_crossed_at=started + timedelta(minutes=5),
        dwell_seconds=300, objects=(DetectedObject(class_name="goods", score=0.8,
                                                   box_xyxy=(1, 2, 30, 40)),),
        frame_size=(1280, 720), model=ModelInfo(name="bench", version="1"), created_at=created,
    )  # fmt: skip


def publisher(host: str, port: int, node: str, start: int, count: int, rate: float, dup: float,
              done: mp.Queue) -> None:  # fmt: skip
    """Publish ``count`` alerts (QoS 1), paced at ``rate``/s (0: as fast as possible)."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(host, port)
    client.loop_start()
    topic = topics.alerts(node)
    t0 = time.perf_counter()
    infos = []
    sent = 0
    every = round(1 / dup) if dup else 0
    for k in range(count):
        i = start + k
        if rate:
            target = t0 + k / rate
            delay = target - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        payload = encode(make_alert(node, i, "z1" if i % 2 else "z2", datetime.now(UTC)))
        infos.append(client.publish(topic, payload, qos=1))
        sent += 1
        if every and k % every == 0:  # this share of alerts is delivered twice
            infos.append(client.publish(topic, payload, qos=1))
            sent += 1
    for info in infos:
        info.wait_for_publish(60)
    elapsed = time.perf_counter() - t0
    client.loop_stop()
    client.disconnect()
    done.put((sent, elapsed))


def start_broker(workdir: Path) -> tuple[subprocess.Popen, int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    conf = workdir / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 100000\n"
        "max_inflight_messages 1000\n"
    )
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    proc = subprocess.Popen(
        [binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("private mosquitto did not start")


def postgres_cpu_seconds() -> float:
    """CPU time of every local ``postgres`` process so far (an upper bound for our share)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().split(")")[-1].split()
            if "(postgres)" in stat.read_text():
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            continue
    return total


def count_cases(db: Database, node: str) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Case).where(Case.node_code == node)))


def wait_cases(db: Database, node: str, expected: int, timeout: float) -> float:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if count_cases(db, node) >= expected:
            return time.perf_counter()
        time.sleep(0.05)
    raise SystemExit(f"timeout: {count_cases(db, node)} of {expected} cases after {timeout}s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alerts", type=int, default=20000)
    ap.add_argument("--duplicates", type=float, default=0.1, help="share delivered twice")
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--mqtt", default=None, help="host:port of a broker (default: a private one)")
    ap.add_argument("--keep-db", action="store_true")
    args = ap.parse_args()
    broker_proc = None
    if args.mqtt:
        host, port = args.mqtt.split(":")
    else:
        broker_proc, port_no = start_broker(Path(tempfile.mkdtemp(prefix="bench-mqtt-")))
        host, port = "127.0.0.1", str(port_no)
    name = f"so_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    url = f"{PG}/{name}"
    node = f"bench-{uuid.uuid4().hex[:6]}"
    consumer = None
    try:
        upgrade(url)
        settings = settings_from_mapping({"database_url": url}, "bench")
        db = Database(url)
        with db.session() as s:
            seed_demo(s, node_code=node, bcrypt_rounds=4)
        group, client_id = f"bench{uuid.uuid4().hex[:6]}", f"bench-ingest-{uuid.uuid4().hex[:6]}"

        def make_consumer() -> IngestConsumer:  # a persistent session: the broker keeps its queue
            return IngestConsumer(
                BrokerConfig(host=host, port=int(port)), db, Rules.from_settings(settings),
                settings=IngestSettings(share_group=group, batch_size=args.batch,
                                        batch_wait_ms=20), client_id=client_id,
            )  # fmt: skip

        consumer = make_consumer()
        consumer.start()
        assert consumer.wait_connected(10), "consumer did not connect"
        time.sleep(0.5)
        ctx = mp.get_context("spawn")

        # phase 1: live throughput
        done: mp.Queue = ctx.Queue()
        proc = ctx.Process(target=publisher, args=(host, int(port), node, 0, args.alerts, 0,
                                                    args.duplicates, done))  # fmt: skip
        t0, cpu0, pg0 = time.perf_counter(), time.process_time(), postgres_cpu_seconds()
        proc.start()
        t_end = wait_cases(db, node, args.alerts, timeout=600)
        cpu = time.process_time() - cpu0  # the consumer (the publisher is another process)
        pg_cpu = postgres_cpu_seconds() - pg0
        sent, pub_elapsed = done.get(timeout=60)
        proc.join()
        time.sleep(1.0)  # stragglers: duplicates must not add cases
        cases = count_cases(db, node)
        throughput = args.alerts / (t_end - t0)
        with db.session() as s:
            distinct = s.scalar(
                text("SELECT count(DISTINCT alert_id) FROM cases WHERE node_code=:n"), {"n": node}
            )
        print(
            f"throughput: {args.alerts} alerts ({sent} messages incl. duplicates) published in "
            f"{pub_elapsed:.1f}s; all cases after {t_end - t0:.1f}s: {throughput:.0f} alerts/s"
        )
        print(f"  cases {cases} (expected {args.alerts}), distinct alert ids {distinct}, "
              f"lost {args.alerts - cases}, duplicated {cases - distinct}")  # fmt: skip
        print(f"  consumer: {consumer.snapshot()}")
        ok_live = cases == args.alerts == distinct
        print(
            f"  consumer process CPU {cpu:.1f}s = {cpu / args.alerts * 1000:.2f} ms per alert "
            f"(≈ {args.alerts / cpu:.0f} alerts/s per core); all postgres processes "
            f"{pg_cpu:.1f}s = {pg_cpu / args.alerts * 1000:.2f} ms per alert (upper bound)"
        )

        # phase 2: drain a backlog that waited in the broker while the consumer was away
        consumer.stop()
        proc = ctx.Process(target=publisher, args=(host, int(port), node, 5_000_000, args.alerts,
                                                    0, args.duplicates, done))  # fmt: skip
        proc.start()
        sent, pub_elapsed = done.get(timeout=600)
        proc.join()
        before = count_cases(db, node)
        consumer = make_consumer()
        t0, cpu0, pg0 = time.perf_counter(), time.process_time(), postgres_cpu_seconds()
        consumer.start()
        t_end = wait_cases(db, node, before + args.alerts, timeout=600)
        cpu = time.process_time() - cpu0
        pg_cpu = postgres_cpu_seconds() - pg0
        time.sleep(1.0)
        cases = count_cases(db, node) - before
        drain = args.alerts / (t_end - t0)
        print(
            f"backlog drain: {args.alerts} alerts ({sent} messages incl. duplicates) waiting in "
            f"the broker; all cases {t_end - t0:.1f}s after the consumer started: "
            f"{drain:.0f} alerts/s"
        )
        print(f"  new cases {cases} (expected {args.alerts}), lost {args.alerts - cases}")
        print(
            f"  consumer process CPU {cpu:.1f}s = {cpu / args.alerts * 1000:.2f} ms per alert; "
            f"all postgres processes {pg_cpu:.1f}s = {pg_cpu / args.alerts * 1000:.2f} ms/alert"
        )
        ok_drain = cases == args.alerts

        # phase 3: latency at a steady rate
        n = int(args.rate * args.seconds)
        before = count_cases(db, node)
        proc = ctx.Process(target=publisher, args=(host, int(port), node, 10_000_000, n, args.rate,
                                                    0.0, done))  # fmt: skip
        proc.start()
        wait_cases(db, node, before + n, timeout=args.seconds * 5 + 60)
        proc.join()
        with db.session() as s:
            rows = s.execute(text(
                "SELECT EXTRACT(EPOCH FROM (c.created_at - a.created_at)) * 1000 FROM cases c "
                "JOIN alerts a ON a.alert_id = c.alert_id WHERE c.node_code = :n AND a.id > "
                "(SELECT max(id) - :k FROM alerts WHERE node_code = :n)"), {"n": node, "k": n}
            ).scalars().all()  # fmt: skip
        lat = sorted(float(v) for v in rows)
        q = statistics.quantiles(lat, n=100)
        print(
            f"latency at {args.rate:.0f} alerts/s for {args.seconds:.0f}s ({len(lat)} alerts): "
            f"p50 {q[49]:.1f} ms, p95 {q[94]:.1f} ms, p99 {q[98]:.1f} ms, max {lat[-1]:.1f} ms"
        )
        with db.session() as s:
            total, distinct = s.execute(
                text("SELECT count(*), count(DISTINCT alert_id) FROM cases WHERE node_code=:n"),
                {"n": node},
            ).one()
        expected = 2 * args.alerts + n
        print(f"total: {total} cases, {distinct} distinct alert ids (expected {expected})")
        ok = ok_live and ok_drain and total == distinct == expected
        return 0 if ok else 1
    finally:
        if consumer is not None:
            consumer.stop()
        if broker_proc is not None:
            broker_proc.terminate()
            broker_proc.wait(10)
        if not args.keep_db:
            with psycopg.connect(
                "host=127.0.0.1 user=postgres dbname=postgres", autocommit=True
            ) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
