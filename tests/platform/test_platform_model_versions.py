"""Model versions on the platform: upload checks (sha256, ONNX, classes and size read from the
model), the list with card metrics, assignments carried by the config push, the node-only
download and rollback; SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json

from streetorder.contracts import ConfigAck, ConfigPush
from streetorder.platform.services import edge_config, ingest
from streetorder.vocabulary import CLASS_NAMES
from tests.support.model_bundles import GOODS_IN_THE_MIDDLE, detector_bytes, manifest_for

NAMES = list(CLASS_NAMES)
EVAL = {"split": "test", "overall": {"mAP50": 0.91, "mAP50-95": 0.6, "precision": 0.9,
        "recall": 0.8}, "per_class": {"goods": {"mAP50": 0.93, "instances": 10}}}  # fmt: skip


def upload(p, data: bytes, manifest: dict, evaluation: dict | None = None, who: str = "admin"):
    files = {
        "model": ("streetorder-det.onnx", data, "application/octet-stream"),
        "manifest": ("manifest.json", json.dumps(manifest).encode(), "application/json"),
    }
    if evaluation is not None:
        files["eval"] = ("eval.json", json.dumps(evaluation).encode(), "application/json")
    return p.client.post("/api/v1/models", files=files, headers=p.login(who))


def bundle(version: str, names: list[str] = NAMES, **extra) -> tuple[bytes, dict]:
    data = detector_bytes(names, [(*GOODS_IN_THE_MIDDLE[0][:4], names[0], 0.9)])
    return data, manifest_for(data, names, version, **extra)


def latest_push(p, node: str = "edge-01") -> ConfigPush:
    """The newest revision as it is published to the node."""
    with p.db.session() as session:
        return ConfigPush.model_validate(edge_config.history(session, node_code=node)[0].payload)


def test_upload_reads_classes_and_size_from_the_model_and_lists_the_card(platform) -> None:
    p = platform
    data, manifest = bundle("2026.12.07-a")
    r = upload(p, data, manifest, EVAL)
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["classes"] == NAMES and got["imgsz"] == [64, 64]
    assert got["sha256"] == hashlib.sha256(data).hexdigest() and got["size_bytes"] == len(data)
    assert got["metrics"]["mAP50"] == 0.91 and got["metrics"]["per_class_mAP50"] == {"goods": 0.93}
    assert upload(p, data, manifest).status_code == 200  # the same bundle again: no new version
    other, _ = bundle("2026.12.07-a", names=["goods", "rack"])
    r = upload(p, other, manifest_for(other, ["goods", "rack"], "2026.12.07-a"))
    assert r.status_code == 409 and "another file" in r.json()["detail"]
    listed = p.client.get("/api/v1/models", headers=p.login("admin")).json()
    assert [v["version"] for v in listed] == ["2026.12.07-a"]
    assert p.client.get("/api/v1/models", headers=p.login("reviewer")).status_code == 403
    assert upload(p, data, manifest, who="reviewer").status_code == 403
    # the manifest's own metrics win over eval.json
    data2, manifest2 = bundle("b", metrics={"mAP50": 0.95})
    assert upload(p, data2, manifest2, EVAL).json()["metrics"] == {"mAP50": 0.95}


def test_bad_bundles_are_refused_with_the_reason_and_nothing_kept(platform) -> None:
    p = platform
    data, manifest = bundle("v1")
    cases = [
        (data, {**manifest, "sha256": "0" * 64}, "does not match the model file"),
        (b"not an onnx model" * 10, manifest_for(b"not an onnx model" * 10, NAMES, "v1"),
         "not a valid ONNX model"),
        (data, {**manifest, "classes": NAMES[:3]}, "differ from the model's own"),
        (data, {**manifest, "imgsz": 320}, "imgsz [320, 320] but the model's input is [64, 64]"),
        (data, {k: v for k, v in manifest.items() if k != "version"}, "lacks version"),
    ]  # fmt: skip
    for body, meta, reason in cases:
        r = upload(p, body, meta)
        assert r.status_code == 422 and reason in r.json()["detail"], (reason, r.text)
    r = p.client.post(
        "/api/v1/models", headers=p.login("admin"),
        files={"model": ("m.onnx", data), "manifest": ("manifest.json", b"{not json")},
    )  # fmt: skip
    assert r.status_code == 422 and "not JSON" in r.json()["detail"]
    assert p.client.get("/api/v1/models", headers=p.login("admin")).json() == []


def test_assignments_travel_in_the_push_nodes_download_theirs_and_rollback(platform) -> None:
    p = platform
    admin = p.login("admin")
    r = p.client.post("/api/v1/nodes/edge-01/cameras", headers=admin,
                      json={"code": "cam-02", "source": "rtsp://127.0.0.1/cam-02"})  # fmt: skip
    assert r.status_code == 201, r.text
    v1 = upload(p, *bundle("v1")).json()
    v2 = upload(p, *bundle("v2")).json()

    # a node downloads only what is assigned to it
    file_url = v2["download_url"]
    assert p.client.get(file_url, headers=p.as_node()).status_code == 403
    r = p.post("admin", "/models/assignments", {"node": "edge-01", "version_id": v1["id"]})
    assert r["config_revision"] == 2
    push = latest_push(p)
    assert push.models.node is not None and push.models.node.version == "v1"
    assert push.models.node.url == v1["download_url"] and push.models.cameras == {}

    # the canary: one camera runs v2, the other stays on the node's v1
    p.post("admin", "/models/assignments", {"node": "edge-01", "camera": "cam-02",
                                            "version_id": v2["id"]})  # fmt: skip
    push = latest_push(p)
    assert push.revision == 3
    assert push.models.for_camera("cam-02").version == "v2"  # type: ignore[union-attr]
    assert push.models.for_camera("cam-01").version == "v1"  # type: ignore[union-attr]
    r = p.client.get(file_url, headers=p.as_node())
    assert r.status_code == 200 and r.headers["X-Content-Sha256"] == v2["sha256"]
    assert hashlib.sha256(r.content).hexdigest() == v2["sha256"]
    assert p.client.get(file_url, headers=p.login("reviewer")).status_code == 403
    assert p.client.get("/api/v1/models/999/file", headers=admin).status_code == 404

    rollout = p.client.get("/api/v1/models/rollout", headers=admin).json()
    [node] = [n for n in rollout if n["node"] == "edge-01"]
    assert node["assigned"] == "streetorder-det v1" and node["ack"] == "unpublished"
    cams = {c["camera"]: c for c in node["cameras"]}
    assert cams["cam-02"]["canary"] and cams["cam-02"]["assigned"] == "streetorder-det v2"
    assert cams["cam-02"]["assigned_id"] == v2["id"] and cams["cam-01"]["assigned_id"] is None
    assert node["assigned_id"] == v1["id"]
    assert not cams["cam-01"]["canary"] and cams["cam-01"]["assigned"] == "streetorder-det v1"

    # rollback: the camera's previous assignment was none, so it follows its node again
    r = p.post("admin", "/models/rollback", {"node": "edge-01", "camera": "cam-02"})
    assert r["version_id"] is None and latest_push(p).models.cameras == {}
    r = p.client.post("/api/v1/models/rollback", headers=admin, json={"node": "edge-01"})
    assert r.status_code == 200 and r.json()["version_id"] is None  # before v1: its own model
    assert latest_push(p).models.node is None
    r = p.client.post("/api/v1/models/rollback", headers=admin, json={"node": "edge-01"})
    assert r.status_code == 404 and "nothing to roll back" in r.json()["detail"]
    nope = {"node": "edge-01", "camera": "nope", "version_id": v1["id"]}
    r = p.client.post("/api/v1/models/assignments", headers=admin, json=nope)
    assert r.status_code == 404
    r = p.client.post("/api/v1/models/assignments", headers=admin,
                      json={"node": "edge-01", "version_id": 12345})  # fmt: skip
    assert r.status_code == 404


def test_rollback_goes_to_the_newest_version_the_node_applied(platform) -> None:
    p = platform
    v1, v2, v3 = (upload(p, *bundle(v)).json()["id"] for v in ("v1", "v2", "v3"))

    def assign(version_id: int, accepted: bool) -> None:
        revision = p.post("admin", "/models/assignments", {"node": "edge-01",
                                                           "version_id": version_id})  # fmt: skip
        answer(revision["config_revision"], accepted)

    def answer(revision: int, accepted: bool) -> None:
        ack = ConfigAck(node_id="edge-01", revision=revision, accepted=accepted,
                        reason="" if accepted else "too slow", active_revision=revision,
                        at=p.clock.now)  # fmt: skip
        with p.db.session() as session:
            assert ingest.record_config_ack(session, message=ack, now=p.clock.now)

    assign(v1, True)
    assign(v2, True)
    assign(v3, False)  # refused: the node still runs v2
    back = p.post("admin", "/models/rollback", {"node": "edge-01"})
    assert back["version_id"] == v2
    answer(back["config_revision"], True)
    back = p.post("admin", "/models/rollback", {"node": "edge-01"})
    assert back["version_id"] == v1  # v3 was never applied, v2 is what runs
