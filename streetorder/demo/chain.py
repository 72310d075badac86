"""The people's side of the demo, through the same HTTP APIs the console and the app use.

The story leaves one case at each stage of the workflow for the person who opens the console:
the newest alerts wait for review (审核), a case on the ``notify_first`` street waits for the
merchant (立案, SMS sent), one is dispatched (派遣), one corrected with the officer's photo
(处置), one verified (核查) and two closed (结案: one by an officer, one seen by the camera).
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from streetorder.demo.platform_host import VERIFY_MINUTES
from streetorder.errors import StreetorderError

PASSWORD = "streetorder-demo"
#: How many true alerts the demo's reviewer leaves in the queue for the person at the console.
LEFT_FOR_REVIEW = 2
#: What happens to the confirmed cases of the immediate-dispatch streets, in order of discovery.
OFFICER_STAGES = ("closed", "verified", "rectified", "notified_dispatched")


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

    def close(self) -> None:
        for client in self._clients.values():
            client.close()


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
    """The reviewer judges the alerts by their evidence (the demo's 'eyes' are the ground
    truth): false alarms are rejected, true ones confirmed, except the newest few, which stay
    in the queue for the person who opens the console."""
    reviewer = api.as_user("reviewer")
    queue = _check(reviewer.get("/api/v1/cases/review-queue"), "review queue")["data"]
    true_alerts = _true_alert_ids(state)
    ours = [c for c in queue if c["alert_id"] in {a.alert_id for a in state.alerts}]
    ours.sort(key=lambda c: (c["discovered_at"], c["id"]))
    immediate_true = [
        c for c in ours if c["alert_id"] in true_alerts and c["camera_code"] != state.notify_camera
    ]
    state.pending = [c["id"] for c in immediate_true[-LEFT_FOR_REVIEW:]]
    for case in ours:
        if case["id"] in state.pending:
            continue
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
    print(
        f"      confirmed {len(state.confirmed)}, rejected {len(state.rejected)} as false alarms,"
        f" left {len(state.pending)} in the review queue for you"
    )


def _true_alert_ids(state) -> set[str]:
    """Alerts that match a ground-truth episode (same camera and zone, time within it)."""
    from streetorder.demo.edge_feed import camera_id
    from streetorder.edge.replay.truth import load_truth

    episodes = []
    for s in state.footage:
        for e in load_truth(s.truth).episodes:
            episodes.append((camera_id(s.name), e.zone_id, e))
    ids = set()
    for alert in state.alerts:
        t = (alert.threshold_crossed_at - state.live_from).total_seconds()
        for cam, zone, e in episodes:
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


def officer_work(api: Api, state, out: Path) -> None:
    """The squad works the dispatched orders as far as each stage of the story: the officer
    orders the correction and uploads the after-correction photo, the squad leader verifies,
    the centre closes; the last order is left dispatched."""
    orders = {o["case_id"]: o for o in state.work_orders}
    immediate = [c for c in state.confirmed if c in orders]
    if not immediate:
        print("      no dispatched case: nothing for the squad")
        return
    immediate.sort(key=lambda cid: orders[cid]["id"])
    officer = api.as_user("officer", mobile=True)
    tasks = _check(officer.get("/api/mobile/v1/tasks", params={"kind": "work_order"}), "tasks")
    listed = {t["ref_id"] for t in tasks["data"]}
    print(f"      officer's list: {tasks['count']} work order(s)")
    for case_id, stage in zip(immediate, OFFICER_STAGES, strict=False):
        order_id = orders[case_id]["id"]
        if order_id not in listed:
            raise StreetorderError(f"work order {order_id} is not in the officer's task list")
        if stage != "notified_dispatched":
            _correct(api, state, out, case_id, order_id)
        if stage in ("verified", "closed"):
            leader = api.as_user("leader", mobile=True)
            _write(leader, f"/api/mobile/v1/work-orders/{order_id}/verify",
                   json={"passed": True, "note": "复查通过"})  # fmt: skip
        if stage == "closed":
            reviewer = api.as_user("reviewer")
            _check(reviewer.post(f"/api/v1/cases/{case_id}/close", json={"note": "结案"}), "close")
            state.closed_case = _closed_case(api, case_id, order_id)
        case = _check(api.as_user("admin").get(f"/api/v1/cases/{case_id}"), "case")
        if case["state"] != stage:
            raise StreetorderError(f"case {case['number']} is {case['state']}, not {stage}")
        print(f"      {case['number']} ({case['camera_code']}): {stage}")
        if stage == "rectified":
            state.yellow_case = case


def _wait_for_yellow_light(api: Api, state) -> None:
    """The corrected case waits for the centre's re-check, whose limit the demo sets short
    (``platform_host.VERIFY_MINUTES``): let its deadline pass on the run's clock, so the
    dashboard shows it yellow (黄灯) and the case page says by how much."""
    case = getattr(state, "yellow_case", None)
    if case is None or case.get("deadline_at") is None:
        return
    due = datetime.fromisoformat(case["deadline_at"])
    due = due if due.tzinfo else due.replace(tzinfo=UTC)
    wait = (due - datetime.now(UTC)).total_seconds() + 1
    print(
        f"      {case['number']}: its re-check (核查) was due {VERIFY_MINUTES} minute after the "
        "correction (the demo's limit; a city's is 24 h); "
        + (f"waiting {wait:.0f} s for its yellow light (黄灯)" if wait > 0 else "now 黄灯"),
        flush=True,
    )
    if wait > 0:
        time.sleep(wait)
    case = _check(api.as_user("admin").get(f"/api/v1/cases/{case['id']}"), "case")
    if not case["overdue"]:
        raise StreetorderError(f"case {case['number']} is not overdue after its deadline")


def _correct(api: Api, state, out: Path, case_id: int, order_id: int) -> None:
    """The officer on site: order to correct, photo of the cleared frontage, done."""
    officer = api.as_user("officer", mobile=True)
    base = f"/api/mobile/v1/work-orders/{order_id}"
    _write(officer, f"{base}/order-to-correct", json={"note": "已当面责令改正"})
    photo = _after_photo(api, state, out, case_id)
    with photo.open("rb") as fh:
        _write(officer, f"{base}/photos", files={"file": (photo.name, fh, "image/jpeg")})
    _write(officer, f"{base}/complete", json={"note": "商户已将货物收回店内"})


def _after_photo(api: Api, state, out: Path, case_id: int) -> Path:
    """The cleared frontage, seen from the camera that filmed the goods."""
    from streetorder.demo.after_photo import render_after_photo
    from streetorder.demo.edge_feed import camera_id

    case = _check(api.as_user("admin").get(f"/api/v1/cases/{case_id}"), "case")
    scenario = next((s for s in state.footage if camera_id(s.name) == case["camera_code"]), None)
    if scenario is None:
        raise StreetorderError(f"case {case['number']}: no footage of {case['camera_code']}")
    path = render_after_photo(scenario.truth, out / "after-photos" / f"{case['number']}.jpg")
    state.after_photos[case_id] = {"camera": case["camera_code"], "photo": str(path)}
    return path


def _closed_case(api: Api, case_id: int, order_id: int) -> dict:
    reviewer = api.as_user("reviewer")
    leader = api.as_user("leader", mobile=True)
    before_after = _check(
        leader.get(f"/api/mobile/v1/work-orders/{order_id}/before-after"), "before/after"
    )
    case = _check(reviewer.get(f"/api/v1/cases/{case_id}"), "case")
    events = _check(reviewer.get(f"/api/v1/cases/{case_id}/events"), "events")
    events = events["data"] if isinstance(events, dict) else events
    return {
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


def final_cases(api: Api, state) -> None:
    """Where every case of the run ended, with its times, for the summary (once the corrected
    case's re-check is past its limit)."""
    _wait_for_yellow_light(api, state)
    reviewer = api.as_user("reviewer")
    everything = _check(reviewer.get("/api/v1/cases", params={"limit": 500}), "cases")["data"]
    ours = {c["id"] for c in state.cases}
    state.cases_final = [c for c in everything if c["id"] in ours]


def contact_sheet(out: Path, alerts: list, per_row: int = 2, most: int = 6) -> Path | None:
    """Annotated evidence frames side by side, one per camera first; only full rows, so no
    tile is left empty."""
    import cv2
    import numpy as np

    evidence = out / "edge" / "evidence"
    frames = [(a.camera_id, evidence / f"{a.alert_id}_annotated.jpg") for a in alerts]
    frames = [(camera, path) for camera, path in frames if path.is_file()]
    picked: list[Path] = []
    for camera in dict.fromkeys(c for c, _ in frames):  # one per camera, in order of alerts
        picked.append(next(p for c, p in frames if c == camera))
    picked += [p for _, p in frames if p not in picked]
    count = min(most, len(picked))
    count = count - count % per_row if count >= per_row else count
    if count == 0:
        return None
    tiles = []
    for path in picked[:count]:
        image = cv2.imread(str(path))
        if image is None:
            raise StreetorderError(f"{path}: cannot read the evidence frame")
        h, w = image.shape[:2]
        tiles.append(cv2.resize(image, (640, int(640 * h / w))))
    height = min(t.shape[0] for t in tiles)
    tiles = [t[:height] for t in tiles]
    rows = [np.hstack(tiles[i : i + per_row]) for i in range(0, len(tiles), per_row)]
    sheet = out / "evidence_sheet.jpg"
    cv2.imwrite(str(sheet), np.vstack(rows), [cv2.IMWRITE_JPEG_QUALITY, 85])
    return sheet
