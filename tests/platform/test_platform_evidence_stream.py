"""Evidence PUT: the headers decide first (token, size, alert) and no byte of the body is read
before; the body streams to the store's staging area with a cap, hashed on the way.

A real HTTP server (uvicorn) and raw sockets: a client that sends ``Expect: 100-continue`` gets
its refusal without ever sending the body; the server only asks for a body it will read.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from tests.platform.conftest import Platform

MB = 1024 * 1024


@pytest.fixture
def served(platform: Platform) -> Iterator[tuple[Platform, int]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(platform.client.app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield platform, port
    server.should_exit = True
    thread.join(10)


def headers_only(port: int, path: str, token: str, length: int, sha: str = "0" * 64) -> str:
    """Send a PUT's headers with ``Expect: 100-continue`` and no body; return the first
    response line (a ``100 Continue`` would mean the server wants the body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(
            (
                f"PUT {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: video/mp4\r\nX-Content-Sha256: {sha}\r\n"
                f"Content-Length: {length}\r\nExpect: 100-continue\r\n\r\n"
            ).encode()
        )
        return sock.recv(4096).decode("latin-1").split("\r\n", 1)[0]


def chunked_put(port: int, path: str, token: str, chunks: Iterator[bytes], sha: str) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(
            (
                f"PUT {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: image/jpeg\r\nX-Content-Sha256: {sha}\r\n"
                "Transfer-Encoding: chunked\r\n\r\n"
            ).encode()
        )
        try:
            for chunk in chunks:
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused mid-body: the answer is already there
        return sock.recv(65536).decode("latin-1")


def staging(platform: Platform) -> list[Path]:
    return list(Path(platform.settings.evidence.dir, ".staging").glob("*"))


def test_refusals_come_from_the_headers_before_the_body(served) -> None:
    p, port = served
    alert = p.alerts()
    path = f"/api/v1/alerts/{alert.alert_id}/evidence/clean.jpg"
    big = 49 * MB
    assert headers_only(port, path, "sok_bogus-0000000000000", big).startswith("HTTP/1.1 401")
    assert headers_only(port, path, "not-even-a-token", big).startswith("HTTP/1.1 401")
    over = int(p.settings.evidence.max_upload_mb * MB) + 1
    assert headers_only(port, path, p.node_key, over).startswith("HTTP/1.1 413")
    # the alert has not arrived: the edge retries later, without having sent the file
    assert headers_only(port, path, p.node_key, 1000).startswith("HTTP/1.1 409")
    p.deliver(alert)
    other = f"/api/v1/alerts/{alert.alert_id}/evidence/other.jpg"
    assert headers_only(port, other, p.node_key, 1000).startswith("HTTP/1.1 400")
    # a file the alert lists, within the cap: now the server asks for the body
    assert headers_only(port, path, p.node_key, 1000).startswith("HTTP/1.1 100")


def test_streamed_body_is_cut_at_the_evidence_record_and_nothing_is_kept(served) -> None:
    p, port = served
    alert = p.alerts()
    p.deliver(alert)
    clean = p.alerts.files[alert.alert_id]["clean.jpg"]
    path = f"/api/v1/alerts/{alert.alert_id}/evidence/clean.jpg"
    sha = hashlib.sha256(clean).hexdigest()
    endless = (b"\xff" * 65536 for _ in range(10_000))  # 655 MB if it were all read
    answer = chunked_put(port, path, p.node_key, endless, sha)
    assert answer.startswith("HTTP/1.1 422") and "longer than the alert's evidence" in answer
    assert staging(p) == []
    assert p.case_of(alert.alert_id)["evidence"] == []
    # the real file, streamed in small chunks: hashed on the way, stored byte for byte
    parts = (clean[i : i + 100] for i in range(0, len(clean), 100))
    assert chunked_put(port, path, p.node_key, parts, sha).startswith("HTTP/1.1 201")
    assert staging(p) == []
    [stored] = p.case_of(alert.alert_id)["evidence"]
    got = p.client.get(stored["url"], headers=p.login("reviewer"))
    assert got.content == clean and stored["sha256"] == sha
    # a retry announcing the same hash is answered from the headers
    assert headers_only(port, path, p.node_key, len(clean), sha).startswith("HTTP/1.1 200")


def test_evidence_images_are_validated_but_kept_byte_for_byte(platform) -> None:
    from tests.mobile_api import photo_factory as pf

    p = platform
    alert = p.alerts()
    polyglot = pf.jpeg_zip_polyglot()
    # the edge's record says so: a node that lists a polyglot still cannot store it
    p.alerts.files[alert.alert_id]["clean.jpg"] = polyglot
    refs = [
        r.model_copy(
            update={"sha256": hashlib.sha256(polyglot).hexdigest(), "size_bytes": len(polyglot)}
        )
        if r.filename == "clean.jpg"
        else r
        for r in alert.evidence
    ]
    alert = alert.model_copy(update={"evidence": tuple(refs)})
    p.deliver(alert)
    r = p.client.put(
        f"/api/v1/alerts/{alert.alert_id}/evidence/clean.jpg", content=polyglot,
        headers={**p.as_node(), "Content-Type": "image/jpeg",
                 "X-Content-Sha256": hashlib.sha256(polyglot).hexdigest()},
    )  # fmt: skip
    assert r.status_code == 422 and "ZIP archive" in r.json()["detail"]
    annotated = p.alerts.files[alert.alert_id]["annotated.jpg"]
    r = p.client.put(
        f"/api/v1/alerts/{alert.alert_id}/evidence/annotated.jpg", content=annotated,
        headers={**p.as_node(), "Content-Type": "image/jpeg",
                 "X-Content-Sha256": hashlib.sha256(annotated).hexdigest()},
    )  # fmt: skip
    assert r.status_code == 201
    got = p.client.get(r.json()["url"], headers=p.login("reviewer"))
    assert got.content == annotated  # the original, not a re-encoded copy
