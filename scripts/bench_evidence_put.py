"""The platform's memory under concurrent oversized evidence PUTs.

Starts the platform (uvicorn, SQLite, one process) in a child process, then sends ``--parallel``
PUTs of ``--mb`` megabytes at once in four rounds and prints the server's resident memory
(``VmRSS`` before, ``VmHWM`` = its peak so far, after):

1. a bogus node token (refused from the headers: nothing is read);
2. a valid token, Content-Length over the cap (refused from the headers);
3. a valid token, chunked (no length) over the cap: streamed to the staging area up to the cap,
   then refused; nothing kept;
4. a valid token, an accepted file of ``--mb`` MB (streamed, hashed on the way, stored).

    .venv/bin/python scripts/bench_evidence_put.py --mb 49 --parallel 4

The cap is the platform's ``evidence.max_upload_mb`` (50 MB by default).
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

BLOCK = 1 << 20
NODE_KEY = "sok_bench-node-key-0123456789"


def body(mb: int, seed: str) -> Iterator[bytes]:
    """``mb`` MiB of incompressible, reproducible bytes, one MiB at a time."""
    for i in range(mb):
        block = hashlib.sha256(f"{seed}-{i}".encode()).digest()
        yield block * (BLOCK // len(block))


def digest(mb: int, seed: str) -> str:
    h = hashlib.sha256()
    for block in body(mb, seed):
        h.update(block)
    return h.hexdigest()


# -- the server (child process) -----------------------------------------------------------


def serve(workdir: Path, port: int, files: dict[str, int]) -> None:
    import uvicorn

    from streetorder.contracts import Alert, DetectedObject, EvidenceRef, ModelInfo
    from streetorder.platform.db import Database
    from streetorder.platform.services import ingest
    from streetorder.platform.services.rules import Rules
    from streetorder.platform.services.seed import seed_demo
    from streetorder.platform.settings import settings_from_mapping
    from streetorder.server import create_app
    from streetorder.server.migrate import upgrade

    url = f"sqlite:///{workdir / 'platform.db'}"
    settings = settings_from_mapping(
        {"environment": "test", "database_url": url, "secret_key": "bench-secret-0123456789abcdef",
         "evidence": {"dir": str(workdir / "evidence")}, "auth": {"bcrypt_rounds": 4}},
        "bench settings",
    )  # fmt: skip
    upgrade(url)
    db = Database(url)
    now = datetime.now(UTC)
    refs = tuple(
        EvidenceRef(
            kind="clip",
            filename=name,
            content_type="video/mp4",
            size_bytes=mb * BLOCK,
            sha256=digest(mb, name),
        )  # fmt: skip
        for name, mb in files.items()
    )
    alert = Alert(
        alert_id="al-bench0000000000000000001", node_id="edge-01", camera_id="cam-01",
        zone_id="z1", shop_id="shop-001", episode_started_at=now - timedelta(minutes=6),
        threshold_crossed_at=now - timedelta(minutes=1), dwell_seconds=300.0,
        objects=(DetectedObject(class_name="goods", score=0.9, box_xyxy=(10, 10, 90, 90)),),
        frame_size=(1280, 720), evidence=refs, model=ModelInfo(name="bench", version="1"),
        created_at=now - timedelta(minutes=1),
    )  # fmt: skip
    with db.session() as session:
        seed_demo(session, password="bench-password", bcrypt_rounds=4, node_api_key=NODE_KEY)
    with db.session() as session:
        ingest.ingest_alerts(session, alerts=[alert], rules=Rules.from_settings(settings), now=now)
    app = create_app(settings, db=db)
    print("ready", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


# -- the client -----------------------------------------------------------------------------


def memory(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields


def put(port: int, path: str, token: str, mb: int, seed: str, chunked: bool) -> str:
    """One PUT; returns the status, or what became of the connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "video/mp4",
               "X-Content-Sha256": digest(mb, seed)}  # fmt: skip
    if not chunked:
        headers["Content-Length"] = str(mb * BLOCK)
    try:
        conn.request("PUT", path, body=body(mb, seed), headers=headers, encode_chunked=chunked)
        response = conn.getresponse()
        return str(response.status)
    except (BrokenPipeError, ConnectionResetError):
        # answered from the headers and closed: the client could not even finish sending
        try:
            return f"{conn.getresponse().status} (body cut off)"
        except Exception:  # noqa: BLE001
            return "closed before the body was read"
    finally:
        conn.close()


def round_of(label: str, pid: int, jobs: list[tuple], port: int) -> dict:
    before = memory(pid)["VmRSS"]
    peak_before = memory(pid)["VmHWM"]
    results: list[str] = []
    threads = [threading.Thread(target=lambda j=j: results.append(put(port, *j))) for j in jobs]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    time.sleep(0.5)
    after = memory(pid)
    row = {
        "round": label, "results": sorted(results), "seconds": round(elapsed, 2),
        "rss_before_mb": round(before, 1), "peak_rss_mb": round(after["VmHWM"], 1),
        "peak_rose_mb": round(after["VmHWM"] - peak_before, 1),
        "rss_after_mb": round(after["VmRSS"], 1),
    }  # fmt: skip
    print(json.dumps(row, ensure_ascii=False), flush=True)
    return row


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=49, help="size of each accepted PUT")
    parser.add_argument("--over-mb", type=int, default=60, help="size of each PUT over the cap")
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument(
        "--serve", nargs=3, metavar=("DIR", "PORT", "FILES"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.serve:
        workdir, port, files = args.serve
        serve(Path(workdir), int(port), json.loads(files))
        return
    n = args.parallel
    files = {f"ok{i}.mp4": args.mb for i in range(n)} | {
        f"big{i}.mp4": args.over_mb for i in range(n)
    }
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-evidence-") as tmp:
        cmd = [sys.executable, __file__, "--serve", tmp, str(port), json.dumps(files)]
        server = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=os.environ.copy())
        try:
            assert server.stdout is not None
            if server.stdout.readline().strip() != "ready":
                raise SystemExit("the platform did not start")
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), 0.2).close()
                    break
                except OSError:
                    time.sleep(0.1)
            path = "/api/v1/alerts/al-bench0000000000000000001/evidence/"
            print(json.dumps({"server_pid": server.pid, "parallel": n, "cpus": os.cpu_count()}))
            round_of(f"bogus token, {n} x {args.mb} MB", server.pid,
                     [(path + f"ok{i}.mp4", "sok_bogus-0000000000000", args.mb, f"ok{i}.mp4", False)
                      for i in range(n)], port)  # fmt: skip
            round_of(f"valid token, {n} x {args.over_mb} MB, Content-Length over the cap",
                     server.pid, [(path + f"big{i}.mp4", NODE_KEY, args.over_mb, f"big{i}.mp4",
                                   False) for i in range(n)], port)  # fmt: skip
            round_of(f"valid token, {n} x {args.over_mb} MB chunked (no length), over the cap",
                     server.pid, [(path + f"big{i}.mp4", NODE_KEY, args.over_mb, f"big{i}.mp4",
                                   True) for i in range(n)], port)  # fmt: skip
            round_of(f"valid token, {n} x {args.mb} MB accepted", server.pid,
                     [(path + f"ok{i}.mp4", NODE_KEY, args.mb, f"ok{i}.mp4", False)
                      for i in range(n)], port)  # fmt: skip
            left = list(Path(tmp, "evidence", ".staging").glob("*"))
            print(json.dumps({"staging_files_left": len(left)}))
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
