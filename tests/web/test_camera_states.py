"""The console's camera list shows each camera's state as its edge node last reported it; the
heartbeat goes through the platform's ingest like any message from the broker."""

from __future__ import annotations

import html
from datetime import timedelta

from fastapi.testclient import TestClient

from streetorder.contracts import Availability, CameraStats, Heartbeat, ModelInfo, encode, topics
from streetorder.i18n import text
from streetorder.platform.domain.workflow import format_local
from streetorder.platform.ingest.consumer import BatchWriter, Inbound
from tests.web.conftest import Console
from tests.web.seeding import CAMERA, NODE
from tests.web.test_console_http import login


def heartbeat(env: Console, stats: CameraStats) -> Inbound:
    beat = Heartbeat(
        node_id=NODE,
        sent_at=env.clock.now,
        uptime_seconds=60.0,
        model=ModelInfo(name="bundled", version="1"),
        queue_length=0,
        config_revision=0,
        cameras=(stats,),
    )
    return Inbound(topics.stats(NODE), encode(beat))


def camera_cell(page: str) -> str:
    cell = page.split('class="camera-state"', 1)[1].split("</td>", 1)[0]
    return html.unescape(cell)


def test_the_camera_list_shows_state_since_and_reason_from_the_last_heartbeat(
    sqlite_console: Console,
) -> None:
    env = sqlite_console
    client = TestClient(env.app)
    login(client, "admin")
    assert "unknown" in camera_cell(client.get("/console/zones").text)  # no heartbeat yet

    writer = BatchWriter(env.db, env.state.rules, clock=env.clock)
    # a node that went offline before any heartbeat (as the demo's, once its footage ends):
    # its cameras read 离线, not 未知
    gone = Availability(node_id=NODE, state="offline", at=env.clock.now)
    writer.write([Inbound(topics.status(NODE), encode(gone))])
    cell = camera_cell(client.get("/console/zones").text)
    assert 'data-state="offline">离线<' in cell and "未知" not in cell
    back = Availability(node_id=NODE, state="online", at=env.clock.now)
    writer.write([Inbound(topics.status(NODE), encode(back))])
    since = env.clock.now - timedelta(minutes=7)
    frozen = CameraStats(
        camera_id=CAMERA,
        state="frozen",
        since=since,
        analysed_fps=0.0,
        lag_seconds=0.0,
        detections=0,
        error="the picture has not changed; frames not analysed",
        reconnects=2,
    )
    writer.write([heartbeat(env, frozen)])
    cell = camera_cell(client.get("/console/zones").text)
    assert "trouble" in cell and 'data-state="frozen">画面冻结<' in cell
    assert f"自{format_local(since, env.settings.tz)}起" in cell
    assert text("camera_reason.frozen") in cell and text("zones.stale") not in cell
    assert "frames not analysed" not in cell  # the node's reason, in the reader's language

    stalled = frozen.model_copy(update={"state": "stalled", "error": "no frame for 12 s"})
    writer.write([heartbeat(env, stalled)])
    assert "12秒未收到画面" in camera_cell(client.get("/console/zones").text)
    # a driver's own words cannot be translated: shown as the node said them, labelled
    broken = frozen.model_copy(
        update={"state": "reconnecting", "error": "Connection refused (rtsp://10.0.0.8/1)"}
    )
    writer.write([heartbeat(env, broken)])
    assert "边缘节点报告:Connection refused (rtsp://10.0.0.8/1)" in camera_cell(
        client.get("/console/zones").text
    )

    online = frozen.model_copy(update={"state": "online", "since": env.clock.now, "error": None})
    writer.write([heartbeat(env, online)])
    cell = camera_cell(client.get("/console/zones").text)
    assert ">在线<" in cell and "trouble" not in cell and "not analysed" not in cell

    # the node's Last Will: what the console shows is the node's last word
    gone = Availability(node_id=NODE, state="offline", at=env.clock.now)
    writer.write([Inbound(topics.status(NODE), encode(gone))])
    assert text("zones.stale") in camera_cell(client.get("/console/zones").text)
