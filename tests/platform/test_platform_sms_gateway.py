"""The generic HTTP SMS gateway provider against a real local HTTP server."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from streetorder.platform.sms.providers import HttpGatewayProvider, SmsSendError
from streetorder.platform.sms.templates import render


class Gateway(BaseHTTPRequestHandler):
    answers: list[int] = []
    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Gateway.received.append({**body, "auth": self.headers.get("Authorization")})
        status = Gateway.answers.pop(0)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps({"id": "gw-42"} if status == 200 else {"error": "x"}).encode())

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def gateway():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Gateway.received.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}/send"
    server.shutdown()


def test_gateway_success_retryable_and_permanent_failures(gateway: str) -> None:
    provider = HttpGatewayProvider(gateway, "gw-key", timeout_seconds=5)
    Gateway.answers[:] = [503, 200, 400]
    with pytest.raises(SmsSendError) as info:
        provider.send(mobile="13800138000", text="hi", reference="sms-1")
    assert info.value.retryable
    assert provider.send(mobile="13800138000", text="hi", reference="sms-1") == "gw-42"
    with pytest.raises(SmsSendError) as info:
        provider.send(mobile="13800138000", text="hi", reference="sms-2")
    assert not info.value.retryable and "400" in str(info.value)
    assert Gateway.received[1] == {
        "to": "13800138000",
        "text": "hi",
        "reference": "sms-1",
        "auth": "Bearer gw-key",
    }
    provider.close()
    with pytest.raises(SmsSendError, match="unreachable"):
        HttpGatewayProvider("http://127.0.0.1:9/send", None, 1).send(
            mobile="1", text="", reference="r"
        )


def test_templates_need_every_variable() -> None:
    with pytest.raises(KeyError, match="needs"):
        render("rework", shop="店")
