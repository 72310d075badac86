"""Loopback ports for the demo's own broker and platform."""

from __future__ import annotations

import socket
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float, host: str = "127.0.0.1") -> bool:
    return connect_error(host, port, timeout) is None


def connect_error(host: str, port: int, timeout: float) -> str | None:
    """None once ``host:port`` accepts a TCP connection within ``timeout`` s, else the last
    error (for a one-line message)."""
    deadline = time.monotonic() + timeout
    error = "timed out"
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return None
        except OSError as exc:
            error = str(exc) or type(exc).__name__
        if time.monotonic() >= deadline:
            return error
        time.sleep(0.05)
