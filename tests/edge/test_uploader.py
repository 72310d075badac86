"""Evidence upload over real HTTP to a server that answers as INTERFACES.md specifies."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from streetorder.contracts import EvidenceRef
from streetorder.edge.transport.uploader import EvidenceUploader

TOKEN = "node-token-1"


class Platform:
    """The platform's evidence endpoint, per the agreed interface, on a real socket."""

    def __init__(self, port: int = 0) -> None:
        self.alerts: dict[str, dict[str, str]] = {}  # alert id -> {filename: sha256}
        self.stored: dict[tuple[str, str], bytes] = {}
        self.requests: list[tuple[str, int]] = []
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_PUT(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                code, detail = platform.handle(self.path, self.headers, body)
                platform.requests.append((self.path, code))
                payload = json.dumps({"detail": detail}).encode()
                self.send_response(code)
                if code == 409 and detail.startswith("alert not yet"):
                    self.send_header("Retry-After", "5")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def handle(self, path: str, headers, body: bytes) -> tuple[int, str]:
        parts = path.split("/")  # /api/v1/alerts/{id}/evidence/{filename}
        if parts[1:4] != ["api", "v1", "alerts"] or parts[5] != "evidence":
            return 404, "not found"
        alert_id, filename = parts[4], parts[6]
        if headers.get("Authorization") != f"Bearer {TOKEN}":
            return 401, "bad token"
        if alert_id not in self.alerts:
            return 409, "alert not yet received"
        claimed = headers.get("X-Content-Sha256")
        if hashlib.sha256(body).hexdigest() != claimed:
            return 400, "body does not match X-Content-Sha256"
        if filename not in self.alerts[alert_id]:
            return 400, "file not in the alert's evidence list"
        if self.alerts[alert_id][filename] != claimed:
            return 422, "hash differs from the alert's evidence"
        if (alert_id, filename) in self.stored:
            if self.stored[(alert_id, filename)] != body:
                return 409, "already stored with other content"
            return 200, "already stored"
        self.stored[(alert_id, filename)] = body
        return 201, "stored"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def platform():
    p = Platform()
    yield p
    p.stop()


def evidence(tmp_path: Path, name: str, data: bytes) -> tuple[EvidenceRef, Path]:
    path = tmp_path / name
    path.write_bytes(data)
    ref = EvidenceRef(
        kind="clean_frame",
        filename=name,
        content_type="image/jpeg",
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    return ref, path


def uploader(tmp_path: Path, url: str, token: str = TOKEN) -> EvidenceUploader:
    return EvidenceUploader(tmp_path / "q.db", url, token, timeout=5, backoff_base=0.05)


def drive(up: EvidenceUploader, until, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        up.step()
        if until():
            return True
        time.sleep(0.02)
    return until()


def test_upload_retries_on_409_until_the_alert_arrives_then_stores_the_bytes(
    tmp_path: Path, platform: Platform, caplog: pytest.LogCaptureFixture
) -> None:
    up = uploader(tmp_path, platform.url)
    ref, path = evidence(tmp_path, "al-1_clean.jpg", b"jpeg bytes")
    up.add("al-1", [(ref, path)])
    with caplog.at_level(logging.DEBUG, logger="streetorder.edge.transport.uploader"):
        assert drive(up, lambda: up.attempts_of("al-1", ref.filename) >= 2, 5)
    assert {code for _, code in platform.requests} == {409}
    # the normal race of a fresh alert (evidence before the alert is stored) says nothing at
    # INFO on its first waits: a normal run's log shows no "HTTP 409 ... retry"
    waits = [r for r in caplog.records if "HTTP 409" in r.getMessage()]
    assert waits and all(r.levelno == logging.DEBUG for r in waits)
    assert up.pending() == 1
    platform.alerts["al-1"] = {ref.filename: ref.sha256}  # the alert reaches the platform
    assert drive(up, lambda: up.pending() == 0)
    assert platform.stored[("al-1", "al-1_clean.jpg")] == b"jpeg bytes"
    assert up.failed() == []


def test_pending_uploads_survive_a_restart_while_the_platform_is_down(tmp_path: Path) -> None:
    down = Platform()
    url = down.url
    port = down.server.server_address[1]
    down.stop()
    up = uploader(tmp_path, url)
    ref, path = evidence(tmp_path, "a.jpg", b"a")
    up.add("al-2", [(ref, path)])
    up.add("al-2", [(ref, path)])  # idempotent
    up.step()
    assert up.pending() == 1 and up.attempts_of("al-2", "a.jpg") == 1
    up.close()
    back = Platform(port)
    try:
        back.alerts["al-2"] = {"a.jpg": ref.sha256}
        again = uploader(tmp_path, url)
        assert drive(again, lambda: again.pending() == 0)
        assert back.stored[("al-2", "a.jpg")] == b"a"
    finally:
        back.stop()


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("hash_differs", "HTTP 422"),
        ("stored_other", "HTTP 409: "),
        ("not_in_list", "HTTP 400"),
        ("file_changed", "no longer matches its sha256"),
        ("file_missing", "is missing"),
    ],
)
def test_permanent_refusals_are_kept_with_the_reason_and_not_retried(
    tmp_path: Path, platform: Platform, case: str, reason: str
) -> None:
    up = uploader(tmp_path, platform.url)
    ref, path = evidence(tmp_path, "c.jpg", b"original")
    platform.alerts["al-3"] = {"c.jpg": ref.sha256}
    if case == "hash_differs":
        platform.alerts["al-3"] = {"c.jpg": "0" * 64}
    elif case == "not_in_list":
        platform.alerts["al-3"] = {"other.jpg": ref.sha256}
    elif case == "stored_other":  # write-once: the platform already holds other bytes
        platform.stored[("al-3", "c.jpg")] = b"someone else's"
    elif case == "file_changed":
        path.write_bytes(b"tampered")
    elif case == "file_missing":
        path.unlink()
    up.add("al-3", [(ref, path)])
    up.step()
    time.sleep(0.2)
    up.step()
    failed = up.failed()
    assert len(failed) == 1 and reason in failed[0][2]
    assert up.pending() == 0 and up.attempts_of("al-3", "c.jpg") == 1
    assert platform.stored.get(("al-3", "c.jpg"), b"someone else's") == b"someone else's"


def test_a_wrong_token_is_retried_with_growing_backoff(tmp_path: Path, platform: Platform) -> None:
    up = EvidenceUploader(tmp_path / "q.db", platform.url, "wrong", backoff_base=0.2)
    ref, path = evidence(tmp_path, "d.jpg", b"d")
    platform.alerts["al-4"] = {"d.jpg": ref.sha256}
    up.add("al-4", [(ref, path)])
    times = []
    deadline = time.monotonic() + 5
    while len(times) < 3 and time.monotonic() < deadline:
        if up.step():
            times.append(time.monotonic())
        time.sleep(0.01)
    assert len(times) == 3
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert 0.15 < gaps[0] < gaps[1]  # about 0.2 s, then 0.4 s
    assert up.pending() == 1 and up.failed() == []
    assert {code for _, code in platform.requests} == {401}


def test_background_worker_uploads_and_stops(tmp_path: Path, platform: Platform) -> None:
    up = uploader(tmp_path, platform.url)
    stop = threading.Event()
    up.start(stop)
    files = [evidence(tmp_path, f"f{i}.jpg", bytes([i]) * 100) for i in range(4)]
    platform.alerts["al-5"] = {ref.filename: ref.sha256 for ref, _ in files}
    up.add("al-5", files)
    deadline = time.monotonic() + 10
    while up.pending() and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    up.join(5)
    assert len(platform.stored) == 4 and up.uploaded_total == 4
