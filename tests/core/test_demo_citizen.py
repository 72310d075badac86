"""The demo's citizen step on its own (the whole demo's run checks it too, in test_demo.py): on
the demo's platform, seeded for the smoke footage's cameras, a resident's Open311 report about
the shop with goods out becomes a citizen case that is handled to closure; the reporter's
Open311 status (JSON and XML) says closed, the reporter's SMS is queued, the console shows the
case as a closed citizen report, and the officer's photo is the shop's camera with the goods
gone. The step runs twice: the second report about the same shop is its repeat offence within
the year, fined and paid before closure (as in the demo, where the shop's camera case came
first)."""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from types import SimpleNamespace
from xml.etree import ElementTree as ET

import httpx
import pytest

from streetorder.demo import chain, citizen, edge_feed, footage, platform_host
from streetorder.demo.broker import RunningBroker

pytestmark = [pytest.mark.slow, pytest.mark.mqtt]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
VIOLATION = {"goods", "rack", "table", "stall"}


def test_a_resident_report_is_handled_to_closure(
    scenario_dir: Path, mosquitto_factory, tmp_path: Path
) -> None:
    scenes = footage.read_index(scenario_dir)
    broker = mosquitto_factory().broker
    running = RunningBroker(broker.host, broker.port, "test")
    token = "sok_demo_" + secrets.token_hex(12)
    config = edge_feed.node_config(
        scenes, node_id="edge-demo", broker=running, token=token, storage=tmp_path / "edge"
    )
    host = platform_host.start_platform(
        out=tmp_path, database_url=None, broker=running.config(), port=0
    )
    try:
        platform_host.seed(host, node_code="edge-demo", cameras=config.cameras, node_token=token)
        state = SimpleNamespace(
            footage=scenes, notify_camera=platform_host.notify_first_camera(config.cameras),
            citizen_case=None,
        )  # fmt: skip
        api = chain.Api(host.url)
        try:
            citizen.report_to_closure(api, state, tmp_path, host.url, host.runtime.db)
            case = state.citizen_case
            citizen.report_to_closure(api, state, tmp_path, host.url, host.runtime.db)
            repeat = state.citizen_case
        finally:
            api.close()
        request_id = case["service_request_id"]
        xml = httpx.get(f"{host.url}/open311/v2/requests/{request_id}.xml").text
        page = _console_case_page(host.url, case["id"])
    finally:
        host.stop()
    assert case["source"] == "citizen" and case["state"] == "closed" and case["track"] == "exempt"
    assert case["shop_id"].startswith("goods_left-")  # the smoke set's shop with goods out
    assert case["open311"]["status"] == "closed" and "结案" in case["open311"]["status_notes"]
    assert ET.fromstring(xml).findtext("request/status") == "closed"
    assert case["reporter_sms"] and request_id in case["reporter_sms"]["body"]
    assert citizen.REPORTER_PHONE not in json.dumps(case["open311"]) + xml
    assert [s.split()[0] for s in case["steps"]] == ["审核", "派遣", "处置", "核查", "结案"]
    # the console: a closed case whose source is a citizen's report
    assert 'id="case-state">已结案<' in page and "来源:市民上报" in page
    _photos_tell_the_truth(case, scenario_dir)
    # the same shop again: a case of its own (the first is closed), fined and paid, closed
    assert repeat["shop_id"] == case["shop_id"] and repeat["id"] != case["id"]
    assert repeat["track"] == "penalty" and repeat["state"] == "closed"
    assert [s.split()[0] for s in repeat["steps"]] == [
        "审核", "派遣", "处置", "核查", "罚款", "缴款", "结案"
    ]  # fmt: skip
    assert repeat["open311"]["status"] == "closed" and repeat["reporter_sms"]


def _console_case_page(url: str, case_id: int) -> str:
    with httpx.Client(base_url=url, timeout=30) as client:
        token = CSRF.search(client.get("/console/login").text)
        client.post(
            "/console/login",
            data={"username": "reviewer", "password": chain.PASSWORD, "next": "",
                  "csrf_token": token.group(1) if token else ""},
        )  # fmt: skip
        page = client.get(f"/console/cases/{case_id}")
        assert page.status_code == 200
        return page.text


def _photos_tell_the_truth(case: dict, scenario_dir: Path) -> None:
    """The officer's photo is closest to its camera's clear view of all the cameras'; the
    detector finds the goods in the resident's photo and none in the officer's."""
    import cv2
    import numpy as np

    from streetorder.edge.detect import OnnxDetector
    from streetorder.edge.detections import box_iou

    after, report = cv2.imread(case["after_photo"]["photo"]), cv2.imread(case["report_photo"])
    references = {
        f"cam-{p.name.split('.')[0]}": cv2.imread(str(p)).astype(np.float32)
        for p in scenario_dir.glob("*.reference.jpg")
    }
    distance = {cam: float(np.abs(ref - after).mean()) for cam, ref in references.items()}
    assert min(distance, key=distance.get) == case["after_photo"]["camera"], distance
    name = case["after_photo"]["camera"].removeprefix("cam-")
    truth = json.loads((scenario_dir / f"{name}.truth.json").read_text(encoding="utf-8"))
    at = case["report_photo_frame_seconds"]
    frame = min(truth["frames"], key=lambda f: abs(f["t"] - at))
    goods = np.array(
        [o["box_xyxy"] for o in frame["objects"] if o["class_name"] in VIOLATION], np.float32
    )
    assert len(goods)
    detector = OnnxDetector(None)

    def violations(image):
        found = detector(image)
        keep = np.array([detector.names[int(c)] in VIOLATION for c in found.class_id], bool)
        return np.asarray(found.xyxy, np.float32)[keep].reshape(-1, 4)

    seen, left = violations(report), violations(after)
    assert len(seen) and (box_iou(seen, goods) >= 0.3).any()  # the goods, in the report
    assert not (len(left) and (box_iou(left, goods) >= 0.3).any())  # gone after correction
