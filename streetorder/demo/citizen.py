"""The second source of cases: a resident reports a shop through Open311 (GeoReport v2), and
the case runs the same flow as a camera's to closure (审核, 立案, 派遣, 处置, 核查, 结案), the
reporter seeing it closed in the public ``GET requests`` and, with consent, by SMS.

Honest stand-ins, since the demo has no phone and the case no camera of its own:

- the resident stands at a shop with no open case (not on the ``notify_first`` street) whose
  footage has goods out, and their photo is that footage's frame at the moment the goods crossed
  the dwell threshold (the generator's view of the frontage, goods on the pavement);
- the officer's after-correction photo is the frontage of the shop's zone camera with the goods
  taken in, rendered by the generator (``after_photo.render_after_photo``), as for camera cases.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx

from streetorder.demo.chain import Api, _check, _write
from streetorder.errors import StreetorderError

#: The resident's (made-up) mobile: they consent to an SMS when the case ends.
REPORTER_PHONE = "13900001234"
SOURCE_NAMES = {"citizen": "市民上报 (citizen)", "hotline": "12345热线 (hotline)"}
TERMINAL = ("closed", "rejected")


def report_to_closure(api: Api, state, out: Path, url: str, db) -> None:
    """File the report over HTTP as a resident's app does, then review, dispatch, correct,
    verify and close its case through the staff's APIs; ``state.citizen_case`` says how it
    went."""
    from streetorder.platform.open311.demo import report_about_shop

    scenario, shop_id, episode = _pick_shop(api, state)
    photo = _resident_photo(scenario, episode["threshold_seconds"])
    photo_path = out / "citizen" / f"{shop_id}.report.jpg"
    photo_path.parent.mkdir(parents=True, exist_ok=True)
    photo_path.write_bytes(photo)
    created = report_about_shop(url, db, shop_id, photo=photo, phone=REPORTER_PHONE)
    request_id = created["service_request_id"]
    case = _case_of(api, request_id, shop_id)
    print(
        f"      {request_id}: a resident's report with a photo about {shop_id} (anonymous, "
        f"Open311 POST) → case {case['number']}, {SOURCE_NAMES.get(case['source'], case['source'])}"
    )
    steps, after_photo = _work(api, out, case, scenario)
    closed = _check(api.as_user("admin").get(f"/api/v1/cases/{case['id']}"), "case")
    if closed["state"] != "closed":
        raise StreetorderError(f"citizen case {closed['number']} is {closed['state']}, not closed")
    public = _check(httpx.get(f"{url}/open311/v2/requests/{request_id}.json"), "Open311 GET")[0]
    if public["status"] != "closed":
        raise StreetorderError(f"{request_id}: Open311 status {public['status']}, not closed")
    reporter_sms = _reporter_sms(api, case["id"])
    state.citizen_case = {
        "id": case["id"], "number": case["number"], "source": closed["source"],
        "track": closed["track"],
        "service_request_id": request_id, "shop_id": shop_id, "state": closed["state"],
        "handling_time": closed["handling_time"], "handling_seconds": closed["handling_seconds"],
        "discovered_at": closed["discovered_at"], "closed_at": closed["closed_at"],
        "steps": steps, "report_photo": str(photo_path),
        "report_photo_frame_seconds": episode["threshold_seconds"],
        "after_photo": after_photo,
        "open311": {key: public[key] for key in ("status", "status_notes", "updated_datetime")},
        "reporter_sms": reporter_sms,
    }  # fmt: skip
    print(f"      {' → '.join(steps)}; handling time {closed['handling_time']}")
    print(
        f"      Open311 GET {request_id}: status {public['status']}, 「{public['status_notes']}」"
    )
    if reporter_sms:
        print(f"      SMS to the reporter: {reporter_sms['body']}")


def _pick_shop(api: Api, state) -> tuple[Any, str, dict]:
    """A shop with goods out in its footage and no open case, so the report opens a case of its
    own (a report about a shop with an open case joins that case instead)."""
    from streetorder.demo.edge_feed import camera_id
    from streetorder.edge.config import load_edge_config

    listed = _check(api.as_user("admin").get("/api/v1/cases", params={"limit": 500}), "cases")
    busy = {c["shop_id"] for c in listed["data"] if c["state"] not in TERMINAL}
    for scenario in state.footage:
        if camera_id(scenario.name) == state.notify_camera:
            continue  # its street lets the merchant correct first: not this story
        episodes = json.loads(scenario.truth.read_text(encoding="utf-8"))["episodes"]
        zones = load_edge_config(scenario.config).cameras[0].zones
        for episode in episodes:
            zone = next((z for z in zones if z.id == episode["zone_id"]), None)
            shop_id = f"{scenario.name}-{zone.shop_id}"[:64] if zone else None
            if shop_id and shop_id not in busy:
                return scenario, shop_id, episode
    raise StreetorderError("no shop with goods in its footage is free of open cases")


def _resident_photo(scenario, seconds: float) -> bytes:
    """The footage's frame at ``seconds`` as a JPEG: the frontage with the goods out."""
    import cv2

    video = cv2.VideoCapture(str(scenario.video))
    try:
        video.set(cv2.CAP_PROP_POS_MSEC, seconds * 1000)
        ok, frame = video.read()
    finally:
        video.release()
    if not ok:
        raise StreetorderError(f"{scenario.video}: no frame at {seconds:.1f} s")
    ok, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:
        raise StreetorderError(f"{scenario.video}: cannot encode the resident's photo")
    return jpeg.tobytes()


def _case_of(api: Api, request_id: str, shop_id: str) -> dict:
    """The case in the review queue (source filter) that holds the report."""
    reviewer = api.as_user("reviewer")
    queue = reviewer.get("/api/v1/cases/review-queue", params={"source": "citizen"})
    for case in _check(queue, "review queue")["data"]:
        if case["shop_id"] != shop_id:
            continue
        reports = _check(reviewer.get(f"/api/v1/cases/{case['id']}/reports"), "reports")
        if any(r["service_request_id"] == request_id for r in reports):
            return case
    raise StreetorderError(f"{request_id}: no case in the review queue holds the report")


def _work(api: Api, out: Path, case: dict, scenario) -> tuple[list[str], dict[str, str]]:
    """Confirm on the resident's photo, the squad's work order, the officer's correction with
    the after-photo, the leader's check; a repeat offence within the year (the confirmation
    put it on the penalty track) is fined and paid before the centre closes it."""
    from streetorder.demo.after_photo import render_after_photo
    from streetorder.demo.edge_feed import camera_id

    reviewer, admin = api.as_user("reviewer"), api.as_user("admin")
    case_id = case["id"]
    _check(reviewer.post(f"/api/v1/cases/{case_id}/confirm", json={"note": "市民照片清楚"}),
           "confirm")  # fmt: skip
    _check(admin.post("/api/v1/sms/deliver"), "deliver SMS")
    orders = _check(admin.get("/api/v1/work-orders"), "work orders")["data"]
    order = next((o for o in orders if o["case_id"] == case_id), None)
    if order is None:
        raise StreetorderError(f"citizen case {case['number']} has no work order")
    base = f"/api/mobile/v1/work-orders/{order['id']}"
    officer = api.as_user("officer", mobile=True)
    _write(officer, f"{base}/order-to-correct", json={"note": "已当面责令改正"})
    photo = render_after_photo(scenario.truth, out / "after-photos" / f"{case['number']}.jpg")
    with photo.open("rb") as fh:
        _write(officer, f"{base}/photos", files={"file": (photo.name, fh, "image/jpeg")})
    _write(officer, f"{base}/complete", json={"note": "商户已将货物收回店内"})
    leader = api.as_user("leader", mobile=True)
    _write(leader, f"{base}/verify", json={"passed": True, "note": "复查通过"})
    steps = ["审核 confirmed", "派遣 dispatched", "处置 corrected (after-photo: the shop's camera)",
             "核查 verified"]  # fmt: skip
    if _check(admin.get(f"/api/v1/cases/{case_id}"), "case")["track"] == "penalty":
        steps += _fine_and_payment(admin, case_id)
    _check(reviewer.post(f"/api/v1/cases/{case_id}/close", json={"note": "结案"}), "close")
    return [*steps, "结案 closed"], {"camera": camera_id(scenario.name), "photo": str(photo)}


def _fine_and_payment(admin: httpx.Client, case_id: int) -> list[str]:
    """The shop's second offence within the year: the default fine (SMS to the merchant with
    the due date), paid online at once."""
    basis = "一年内再次跨门营业（市民上报，照片为证），依法处以罚款"
    _check(admin.post(f"/api/v1/cases/{case_id}/fine", json={"basis": basis}), "fine")
    penalty = _check(admin.get(f"/api/v1/cases/{case_id}/penalty"), "penalty")
    amount = penalty["amount_due_now_cents"]
    body = {"paid_cents": amount, "reference": f"DEMO-PAY-{case_id}"}
    _check(admin.post(f"/api/v1/cases/{case_id}/payment", json=body), "payment")
    return [f"罚款 fined ¥{amount / 100:.0f} (repeat offence within the year)", "缴款 paid"]


def _reporter_sms(api: Api, case_id: int, wait: float = 40.0) -> dict | None:
    """The reporter's closure SMS, queued by the platform's periodic jobs (every 15 s)."""
    admin = api.as_user("admin")
    deadline = time.monotonic() + wait
    while True:
        messages = _check(admin.get("/api/v1/sms", params={"case_id": case_id}), "SMS")["data"]
        found = next((m for m in messages if m["stage"].startswith("reporter-")), None)
        if found is not None or time.monotonic() > deadline:
            return None if found is None else {k: found[k] for k in ("stage", "state", "body")}
        time.sleep(1)


def print_summary(case: dict | None, url: str) -> None:
    """The citizen case's lines of the demo's summary."""
    if case is None:
        return
    print(
        f"citizen case {case['number']} ({SOURCE_NAMES.get(case['source'], case['source'])}, "
        f"Open311 {case['service_request_id']}): {case['state']}, handling time "
        f"{case['handling_time']}; the reporter sees status {case['open311']['status']}"
    )
    print(f"   {url}/console/cases/{case['id']}  ·  {url}/open311/v2/requests/"
          f"{case['service_request_id']}.json")  # fmt: skip
    after = case["after_photo"]
    print(f"   the resident's photo: {case['report_photo']}; the officer's after-photo (the "
          f"shop's camera, {after['camera']}): {after['photo']}")  # fmt: skip
