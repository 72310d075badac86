"""The console's refused-messages page: admins see what the ingest did not believe (conflicts
included), filtered by category, in Chinese; other roles are refused."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from streetorder.contracts import topics
from streetorder.platform.services import ingest
from tests.web.conftest import Console
from tests.web.test_console_http import login


def test_admins_see_refused_messages_and_conflicts(console: Console) -> None:
    env = console
    with env.db.session() as session:
        ingest.record_rejection(
            session, topic=topics.alerts("ghost"), category="untrusted", now=env.clock.now,
            reason="node 'ghost' is not registered", payload=b'{"alert_id": "al-ghost"}',
        )  # fmt: skip
        ingest.record_rejection(
            session, topic=topics.alerts("edge-01"), category="conflict", now=env.clock.now,
            reason="alert al-twin is already stored with other content",
            payload=b'{"alert_id": "al-twin", "dwell_seconds": 1}',
        )  # fmt: skip
        ingest.record_rejection(
            session, topic=topics.alerts("edge-01"), category="invalid", now=env.clock.now,
            reason="not JSON", payload=b"\x00\xff binary",
        )  # fmt: skip
    admin = TestClient(env.app)
    login(admin, "admin")
    page = admin.get("/console/refused")
    assert page.status_code == 200, page.text
    assert "拒收消息" in page.text and page.text.count('class="refused-row"') == 3
    assert "未登记来源" in page.text and "编号冲突" in page.text and "al-twin" in page.text
    assert "\x00" not in page.text  # the NUL byte is shown as U+FFFD
    conflicts = admin.get("/console/refused", params={"category": "conflict"}).text
    assert conflicts.count('class="refused-row"') == 1 and 'data-category="conflict"' in conflicts
    reviewer = TestClient(env.app)
    login(reviewer, "reviewer")
    assert reviewer.get("/console/refused").status_code == 403
    assert "/console/refused" not in reviewer.get("/console/queue").text  # no menu entry


def test_each_refusal_reads_in_chinese_with_the_diagnostic_kept_as_detail(console: Console) -> None:
    """Every diagnostic the ingest writes (made here by the ingest's own checks) gets its own
    Chinese explanation, not its category's; the English diagnostic stays, folded, as detail."""
    from datetime import timedelta

    from streetorder.contracts.messages import decode
    from streetorder.errors import ContractError
    from streetorder.i18n import CATALOGUE, translator
    from streetorder.i18n.ingest import REFUSAL_REASONS, refusal_text
    from streetorder.platform.ingest.consumer import classify
    from streetorder.platform.services import ingest_trust as trust

    def contract_error(call) -> str:
        try:
            call()
        except ContractError as exc:
            return str(exc)
        raise AssertionError("no refusal")

    now = console.clock.now
    window = trust.ClockWindow(behind=timedelta(days=30), ahead=timedelta(seconds=300))
    registry = trust.Registry(None, [])  # type: ignore[arg-type]  # no nodes: no query
    registry.nodes = {"edge-01"}
    registry.cameras = {("edge-01", "cam-1")}
    registry.zones = {("edge-01", "cam-1", "z1"): "S-1"}
    made = {
        "not_json": contract_error(lambda: decode(b"\x00\xff")),
        "not_object": contract_error(lambda: decode(b"[1]")),
        "unknown_kind": contract_error(lambda: decode(b'{"kind": "gossip", "v": 1}')),
        "schema_version": contract_error(lambda: decode(b'{"kind": "alert", "v": 9}')),
        "invalid_field": contract_error(lambda: decode(b'{"kind": "alert", "v": 1}')),
        "wrong_topic": contract_error(lambda: classify("streetorder/v1/edge-01/bogus", b"{}")),
        "node": registry.refusal("ghost", "cam-1", "z1", "S-1").reason,
        "camera": registry.refusal("edge-01", "cam-9", "z1", "S-1").reason,
        "zone": registry.refusal("edge-01", "cam-1", "z9", "S-1").reason,
        "shop": registry.refusal("edge-01", "cam-1", "z1", "S-2").reason,
        "ahead": window.refusal(now, created_at=now + timedelta(hours=1)).reason,
        "behind": window.refusal(now, created_at=now - timedelta(days=40)).reason,
        "conflict": trust.conflict("al-twin", "a" * 64, "b" * 64).reason,
    }
    for key, reason in made.items():
        assert refusal_text("invalid", reason)[0] == f"refused_why.{key}", reason
    assert {f"refused_why.{k}" for k, _ in REFUSAL_REASONS} <= set(CATALOGUE.messages)
    assert refusal_text("clock", "something new")[0] == "refused_why.clock"  # the category's
    key, values = refusal_text("untrusted", made["node"])
    assert translator("zh-CN")(key, **values) == "节点 ghost 未在平台登记"

    with console.db.session() as session:
        ingest.record_rejection(
            session, topic=topics.alerts("edge-01"), category="clock", now=now,
            reason=made["ahead"], payload=b'{"alert_id": "al-early"}',
        )  # fmt: skip
    admin = TestClient(console.app)
    login(admin, "admin")
    page = admin.get("/console/refused").text
    assert "消息时间比平台时钟快 3600 秒（最多允许 300 秒），请检查节点时钟" in page
    assert '<details class="refused-detail"><summary>原始诊断</summary>' in page
    assert made["ahead"].replace("'", "&#39;") in page
    with console.db.session() as session:  # a message kind reads in the reader's words too
        ingest.record_rejection(
            session, topic=topics.alerts("edge-01"), category="invalid", now=now,
            reason=made["invalid_field"], payload=b'{"kind": "alert", "v": 1}',
        )  # fmt: skip
    assert re.search(r"告警消息的字段 \S+ 不合规", admin.get("/console/refused").text)
