"""The console's model-versions page (admin): upload with the card's metrics, a refused bundle
says why, a canary assignment is pushed and the rollout table shows assigned, running (from the
node's heartbeat, through the ingest) and the node's answer; rollback; SQLite and PostgreSQL."""

from __future__ import annotations

import html
import json
from urllib.parse import unquote

from fastapi.testclient import TestClient

from streetorder.contracts import CameraStats, ConfigAck, Heartbeat, ModelInfo, encode, topics
from streetorder.platform.ingest.consumer import BatchWriter, Inbound
from streetorder.vocabulary import CLASS_NAMES
from tests.support.model_bundles import GOODS_IN_THE_MIDDLE, detector_bytes, manifest_for
from tests.web.conftest import Console
from tests.web.seeding import CAMERA, NODE
from tests.web.test_console_http import FORM_CSRF_RE, login

NAMES = list(CLASS_NAMES)


def post_bundle(client: TestClient, csrf: str, version: str, manifest_extra: dict | None = None):
    data = detector_bytes(NAMES, GOODS_IN_THE_MIDDLE)
    manifest = {**manifest_for(data, NAMES, version), **(manifest_extra or {})}
    evaluation = {
        "overall": {"mAP50": 0.912, "recall": 0.8},
        "per_class": {"goods": {"mAP50": 0.9}},
    }
    return client.post(
        "/console/models", data={"csrf_token": csrf}, follow_redirects=False,
        files={"model": ("streetorder-det.onnx", data),
               "eval": ("eval.json", json.dumps(evaluation)),
               "manifest": ("manifest.json", json.dumps(manifest))},
    )  # fmt: skip


def rows(page: str, css: str) -> list[str]:
    return [html.unescape(r.split("</tr>", 1)[0]) for r in page.split(f'class="{css}"')[1:]]


def test_upload_canary_rollout_state_and_rollback(console: Console) -> None:
    env = console
    client = TestClient(env.app)
    login(client, "admin")
    page = client.get("/console/models").text
    assert "尚无模型版本" in page and "模型版本" in page
    csrf = FORM_CSRF_RE.search(page)[1]

    r = post_bundle(client, csrf, "v2")
    assert r.status_code == 303 and "notice=" in r.headers["location"]
    assert "已上传 streetorder-det v2" in unquote(r.headers["location"])
    r = post_bundle(client, csrf, "v3", {"sha256": "0" * 64})
    assert "上传失败" in unquote(r.headers["location"]) and "与模型文件" in unquote(
        r.headers["location"]
    )  # the reason in the admin's language
    page = client.get("/console/models").text
    [version] = rows(page, "model-version")
    assert "streetorder-det v2" in version and "mAP50 0.912" in version and "goods 0.90" in version
    assert "64×64" in version

    r = client.post(
        "/console/models/assign", follow_redirects=False,
        data={"csrf_token": csrf, "node": NODE, "camera": CAMERA, "version_id": "1"},
    )  # fmt: skip
    assert "摄像头 cam-01：已下发配置版本" in unquote(r.headers["location"])
    [camera] = rows(client.get("/console/models").text, "rollout-camera")
    assert "灰度" in camera and "<td>streetorder-det v2</td>" in camera
    assert '<option value="1" selected>streetorder-det v2</option>' in camera
    assert '<td class="running">未知</td>' in camera

    # the node's answer and heartbeat arrive through the ingest like any message
    writer = BatchWriter(env.db, env.state.rules, clock=env.clock)
    now = env.clock.now
    [node_row] = rows(client.get("/console/models").text, "rollout-node")
    pushed = int(node_row.split("配置版本 ", 1)[1].split("：", 1)[0])
    ack = ConfigAck(node_id=NODE, revision=pushed, accepted=True, active_revision=pushed, at=now)
    running = ModelInfo(name="streetorder-det", version="v2")
    stats = CameraStats(camera_id=CAMERA, state="online", analysed_fps=1, lag_seconds=0,
                        detections=0, model=running)  # fmt: skip
    beat = Heartbeat(node_id=NODE, sent_at=now, uptime_seconds=5, queue_length=0,
                     model=ModelInfo(name="own", version="1"), config_revision=pushed,
                     cameras=(stats,))  # fmt: skip
    writer.write([Inbound(topics.config_ack(NODE), encode(ack)),
                  Inbound(topics.stats(NODE), encode(beat))])  # fmt: skip
    page = client.get("/console/models").text
    [node_row] = rows(page, "rollout-node")
    assert "已生效" in node_row and "own 1" in node_row
    [camera] = rows(page, "rollout-camera")
    assert '<td class="running">streetorder-det v2</td>' in camera

    r = client.post(
        "/console/models/assign", follow_redirects=False,
        data={"csrf_token": csrf, "node": NODE, "camera": CAMERA, "rollback": "1"},
    )  # fmt: skip
    assert "已下发配置版本" in unquote(r.headers["location"])
    [camera] = rows(client.get("/console/models").text, "rollout-camera")
    assert "灰度</span>" not in camera and "<td>节点自带模型</td>" in camera  # follows its node

    r = client.post(
        "/console/models/assign", follow_redirects=False,
        data={"csrf_token": csrf, "node": NODE, "version_id": "x1"},
    )  # fmt: skip
    assert r.status_code == 303 and "“x1”不是模型版本" in unquote(r.headers["location"])
    r = client.post(
        "/console/models/assign", follow_redirects=False,
        data={"csrf_token": csrf, "node": "no-such-node", "version_id": "1"},
    )  # fmt: skip
    assert r.status_code == 303 and "error=" in r.headers["location"]

    reviewer = TestClient(env.app)
    login(reviewer, "reviewer")
    assert reviewer.get("/console/models").status_code == 403
    r = client.post("/console/models/assign", data={"node": NODE}, follow_redirects=False)
    assert r.status_code == 403  # no CSRF token
