"""The console's refused-messages page: admins see what the ingest did not believe (conflicts
included), filtered by category, in Chinese; other roles are refused."""

from __future__ import annotations

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
