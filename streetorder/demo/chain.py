"""The people's side of the demo, through the same HTTP APIs the console and the app use."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from streetorder.errors import StreetorderError

PASSWORD = "streetorder-demo"


class Api:
    """A logged-in HTTP client per demo user."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._clients: dict[str, httpx.Client] = {}

    def as_user(self, username: str, *, mobile: bool = False) -> httpx.Client:
        key = f"{username}:{mobile}"
        if key not in self._clients:
            path = "/api/mobile/v1/auth/login" if mobile else "/api/v1/auth/login"
            client = httpx.Client(base_url=self.base_url, timeout=30)
            r = client.post(path, json={"username": username, "password": PASSWORD})
            _check(r, f"log in as {username}")
            client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
            self._clients[key] = client
        return self._clients[key]


def _check(response: httpx.Response, what: str) -> Any:
    if response.status_code >= 400:
        raise StreetorderError(f"{what}: HTTP {response.status_code} {response.text[:300]}")
    return response.json() if response.content else None


def _write(client: httpx.Client, path: str, **kwargs: Any) -> Any:
    """A write with an idempotency key, as the phone app sends it."""
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    return _check(client.post(path, headers=headers, **kwargs), f"POST {path}")


def wait_for_cases(api: Api, alerts: list, timeout: float) -> list[dict]:
    """Every first alert of an episode becomes exactly one case, with its evidence stored."""
    reviewer = api.as_user("reviewer")
    first_alerts = {a.alert_id for a in alerts if a.reminder == 0}
    deadline = time.monotonic() + timeout
    cases: list[dict] = []
    while time.monotonic() < deadline:
        listed = _check(reviewer.get("/api/v1/cases", params={"limit": 500}), "list cases")
        cases = [c for c in listed["data"] if c["alert_id"] in first_alerts]
        if {c["alert_id"] for c in cases} >= first_alerts:
            break
        time.sleep(0.5)
    got = {c["alert_id"] for c in cases}
    if not got >= first_alerts:
        raise StreetorderError(f"{len(first_alerts - got)} alert(s) did not become cases in time")
    print(f"      {len(cases)} case(s) for {len(first_alerts)} episode alert(s)")
    return cases


def review(api: Api, state) -> None:
    """The reviewer judges each alert by its evidence; the demo's 'eyes' are the ground truth."""
    reviewer = api.as_user("reviewer")
    queue = _check(reviewer.get("/api/v1/cases/review-queue"), "review queue")["data"]
    true_alerts = _true_alert_ids(state)
    ours = {a.alert_id for a in state.alerts}
    for case in (c for c in queue if c["alert_id"] in ours):
        if case["alert_id"] in true_alerts:
            _check(
                reviewer.post(f"/api/v1/cases/{case['id']}/confirm", json={"note": "证据清楚"}),
                "confirm",
            )
            state.confirmed.append(case["id"])
        else:
            body = {"reason": "误报：非店外经营物品"}
            _check(reviewer.post(f"/api/v1/cases/{case['id']}/reject", json=body), "reject")
            state.rejected.append(case["id"])
    print(f"      confirmed {len(state.confirmed)}, rejected {len(state.rejected)} as false alarms")


def _true_alert_ids(state) -> set[str]:
    """Alerts that match a ground-truth episode (same camera and zone, time within it)."""
    from streetorder.demo.edge_feed import camera_id
    from streetorder.edge.replay.truth import load_truth

    episodes = []
    for s in state.footage:
        truth = load_truth(s.truth)
        for e in truth.episodes:
            episodes.append((camera_id(s.name), e.zone_id, truth.started_at, e))
    ids = set()
    for alert in state.alerts:
        for cam, zone, started, e in episodes:
            t = (alert.threshold_crossed_at - started).total_seconds()
            in_episode = e.start_seconds - 5 <= t <= e.end_seconds + 5
            if alert.camera_id == cam and alert.zone_id == zone and in_episode:
                ids.add(alert.alert_id)
    return ids


def notify(api: Api, state) -> None:
    admin = api.as_user("admin")
    _check(admin.post("/api/v1/sms/deliver"), "deliver SMS")
    sms = []
    for case_id in state.confirmed:
        sms += _check(admin.get("/api/v1/sms", params={"case_id": case_id}), "SMS")["data"]
    state.sms = sms
    orders = _check(admin.get("/api/v1/work-orders"), "work orders")["data"]
    state.work_orders = [o for o in orders if o["case_id"] in state.confirmed]
    print(f"      {len(sms)} SMS, {len(state.work_orders)} work order(s)")
    cases = [_check(admin.get(f"/api/v1/cases/{i}"), "case") for i in state.confirmed]
    dispatched = {c["id"] for c in cases if c["state"] == "notified_dispatched"}
    first_hand = {c["id"] for c in cases if c["state"] in ("notified", "rectified")}
    print(f"      notify_first street: {len(first_hand)} case(s) left to the merchant first")
    if state.confirmed and not sms:
        raise StreetorderError("a confirmed case has no SMS")
    if dispatched - {o["case_id"] for o in state.work_orders}:
        raise StreetorderError("a dispatched case has no work order")


def self_correction(api: Api, state) -> None:
    """On the notify_first street the merchant took the goods in: the camera saw it, so the
    case is rectified without an officer; the centre verifies on the camera's before/after
    frames and closes it."""
    import time

    reviewer = api.as_user("reviewer")
    found = None
    for case_id in state.confirmed:
        case = _check(reviewer.get(f"/api/v1/cases/{case_id}"), "case")
        if case["state"] == "rectified" and case["events"][-1]["event"] == "self_correct":
            found = case
            break
    if found is None:
        raise StreetorderError("no case was self-corrected on the notify_first street")
    deadline = time.monotonic() + 30
    while True:  # the edge uploads the after-frame next to the episode end
        files = _check(reviewer.get(f"/api/v1/cases/{found['id']}/evidence"), "evidence")
        kinds = {f["kind"] for f in files}
        if {"clean_frame", "after_frame"} <= kinds or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if "after_frame" not in kinds:
        raise StreetorderError(f"case {found['number']}: the camera's after-frame never arrived")
    _check(
        reviewer.post(f"/api/v1/cases/{found['id']}/verify", json={"note": "摄像头前后对比核查"}),
        "verify",
    )
    _check(reviewer.post(f"/api/v1/cases/{found['id']}/close", json={"note": "结案"}), "close")
    closed = _check(reviewer.get(f"/api/v1/cases/{found['id']}"), "case")
    state.self_corrected_case = {
        "id": found["id"],
        "number": found["number"],
        "state": closed["state"],
        "evidence": sorted(kinds),
        "timeline": [e["event"] for e in closed["events"]],
    }
    print(f"      {found['number']}: self-corrected, verified on camera frames, {closed['state']}")


def officer_and_close(api: Api, state, out: Path) -> None:
    """The officer works the first order in the app; the squad leader verifies; centre closes."""
    if not state.work_orders:
        print("      no confirmed case: nothing to dispatch")
        return
    officer = api.as_user("officer", mobile=True)
    tasks = _check(officer.get("/api/mobile/v1/tasks", params={"kind": "work_order"}), "tasks")
    if not tasks["data"]:
        raise StreetorderError("the dispatched work order is not in the officer's task list")
    task = tasks["data"][0]
    order_id = task["ref_id"]
    print(f"      officer's list: {tasks['count']} work order(s); first: {task['title']}")
    base = f"/api/mobile/v1/work-orders/{order_id}"
    _write(officer, f"{base}/order-to-correct", json={"note": "已当面责令改正"})
    photo = _after_photo(state, out)
    with photo.open("rb") as fh:
        files = {"file": (photo.name, fh, "image/jpeg")}
        _write(officer, f"{base}/photos", files=files)
    _write(officer, f"{base}/complete", json={"note": "商户已将货物收回店内"})
    leader = api.as_user("leader", mobile=True)
    before_after = _check(leader.get(f"{base}/before-after"), "before/after")
    _write(leader, f"{base}/verify", json={"passed": True, "note": "复查通过"})
    order = _check(api.as_user("admin").get(f"/api/v1/work-orders/{order_id}"), "work order")
    case_id = order["case_id"]
    reviewer = api.as_user("reviewer")
    _check(reviewer.post(f"/api/v1/cases/{case_id}/close", json={"note": "结案"}), "close")
    case = _check(reviewer.get(f"/api/v1/cases/{case_id}"), "case")
    events = _check(reviewer.get(f"/api/v1/cases/{case_id}/events"), "events")
    events = events["data"] if isinstance(events, dict) else events
    state.closed_case = {
        "id": case_id,
        "number": case["number"],
        "state": case["state"],
        "track": case["track"],
        "handling_time": case["handling_time"],
        "exemption_note": case["exemption_note"],
        "before_after_keys": sorted(before_after) if isinstance(before_after, dict) else [],
        "timeline": [
            f"{e['event']}: {e['from_state']} → {e['to_state']} by {e['actor_name']}"
            for e in events
        ],
    }
    everything = _check(reviewer.get("/api/v1/cases", params={"limit": 500}), "cases")["data"]
    ours = {c["id"] for c in state.cases}
    state.cases_final = [c for c in everything if c["id"] in ours]
    if case["state"] != "closed":
        raise StreetorderError(f"case {case['number']} ended in {case['state']}, not closed")


def _after_photo(state, out: Path) -> Path:
    """The frontage after correction: the last frame of the first violation's footage."""
    import av
    import cv2

    scenario = next((s for s in state.footage if s.episodes), state.footage[0])
    last = None
    with av.open(str(scenario.video)) as container:
        for frame in container.decode(video=0):
            last = frame
    if last is None:
        raise StreetorderError(f"{scenario.video}: no frames")
    path = out / "officer-after-photo.jpg"
    cv2.imwrite(str(path), last.to_ndarray(format="bgr24"), [cv2.IMWRITE_JPEG_QUALITY, 90])
    return path


def contact_sheet(out: Path) -> Path | None:
    """Annotated evidence frames side by side in one picture."""
    import cv2
    import numpy as np

    frames = sorted((out / "edge" / "evidence").glob("*_annotated.jpg"))[:6]
    if not frames:
        return None
    tiles = []
    for path in frames:
        image = cv2.imread(str(path))
        h, w = image.shape[:2]
        tiles.append(cv2.resize(image, (640, int(640 * h / w))))
    height = max(t.shape[0] for t in tiles)
    tiles = [
        cv2.copyMakeBorder(t, 0, height - t.shape[0], 0, 0, cv2.BORDER_CONSTANT) for t in tiles
    ]
    while len(tiles) % 2:
        tiles.append(np.zeros_like(tiles[0]))
    rows = [np.hstack(tiles[i : i + 2]) for i in range(0, len(tiles), 2)]
    sheet = out / "evidence_sheet.jpg"
    cv2.imwrite(str(sheet), np.vstack(rows), [cv2.IMWRITE_JPEG_QUALITY, 85])
    return sheet
