"""Why an SMS failed reads in the console's language: a real HTTP gateway that refuses, one
that cannot be reached, a number the check refuses; the gateway's own text stays as detail."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from fastapi.testclient import TestClient

from streetorder.i18n.sms import sms_error_text
from streetorder.platform.domain.errors import InvalidInput
from streetorder.platform.domain.identifiers import normalise_mobile
from streetorder.platform.services import sms as sms_service
from streetorder.platform.sms.providers import HttpGatewayProvider
from tests.support.services import free_port
from tests.web.conftest import Console
from tests.web.test_console_http import add_alerts, login, page_csrf


class Refusing(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - the http.server name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b"quota exceeded for account"
        self.send_response(503)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def confirm(env: Console, client: TestClient, case_id: int) -> None:
    token = page_csrf(client, "/console/queue")
    url = f"/console/cases/{case_id}/review"
    ok = client.post(url, json={"verdict": "confirm"}, headers={"X-CSRF-Token": token})
    assert ok.status_code == 200, ok.text


def test_sms_failures_read_in_chinese_with_the_gateways_text_as_detail(console: Console) -> None:
    env = console
    refused_case, unreachable_case = add_alerts(env, 2)
    client = TestClient(env.app)
    login(client, "reviewer")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        confirm(env, client, refused_case)
        gateway = HttpGatewayProvider(f"http://127.0.0.1:{server.server_port}/send", "k", 5.0)
        rules, now = env.state.rules, env.clock.now
        sms_service.deliver_due(env.db, provider=gateway, rules=rules, now=now)
        gateway.close()
    finally:
        server.shutdown()
        server.server_close()
    confirm(env, client, unreachable_case)
    nowhere = HttpGatewayProvider(f"http://127.0.0.1:{free_port()}/send", "k", 5.0)
    sms_service.deliver_due(env.db, provider=nowhere, rules=env.state.rules, now=env.clock.now)
    nowhere.close()

    outbox = client.get("/console/sms").text
    assert "短信网关拒绝发送（HTTP 503）" in outbox and "短信网关无法连接" in outbox
    assert "quota exceeded for account" in outbox  # the gateway's text, folded as detail
    assert outbox.count('<details class="sms-error-detail"><summary>原始诊断</summary>') == 2
    case_page = client.get(f"/console/cases/{refused_case}").text
    assert 'class="error sms-error" title="gateway answered 503: quota exceeded' in case_page
    assert ">短信网关拒绝发送（HTTP 503）</span>" in case_page
    assert "· 短信网关 ·" in case_page  # the provider, in words too
    assert "gateway answered" not in case_page.replace('title="gateway answered', "")

    try:
        normalise_mobile("0571-8888")
        raise AssertionError("a landline passed the mobile check")
    except InvalidInput as exc:
        assert sms_error_text(str(exc)) == ("sms_error.number", {"number": "0571-8888"})
    assert sms_error_text("not delivered")[0] == "sms_error.not_delivered"
    assert sms_error_text("carrier said: blocked")[0] == "sms_error.other"
