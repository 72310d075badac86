"""The README's main job: ``streetorder demo`` tells a true story, keeps the console up, and
stops cleanly on Ctrl-C.

One run (module fixture) of the README's command, without ``--exit``: while it serves, the
console's login page answers and its dashboard shows the run's yellow light (黄灯); then SIGINT
ends it with exit code 0 or 130, a closing line and no traceback. The same run is checked for: a
case at every stage with a few alerts left for review, one case past its time limit, times that
all fall inside the run, after-correction photos from the case's own camera with the goods gone,
a contact sheet without empty tiles, no warnings, bars that reach 100 %.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

# the run renders ~7 minutes of extra footage, then watches 90 s live: slow on a loaded machine
pytestmark = [pytest.mark.slow, pytest.mark.mqtt, pytest.mark.timeout(2400)]

REPO = Path(__file__).resolve().parents[2]
SHANGHAI = ZoneInfo("Asia/Shanghai")
VIOLATION = {"goods", "rack", "table", "stall"}
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
TIMES = ("discovered_at", "confirmed_at", "dispatched_at", "rectified_at", "verified_at",
         "closed_at", "self_corrected_at", "episode_ended_at")  # fmt: skip
SERVING = re.compile(r"The console stays up at (\S+)/console — press Ctrl-C to stop\.")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TILE = re.compile(r'data-metric="(\w+)"><span class="value">([^<]*)</span>')
PASSWORD = "streetorder-demo"


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


class DemoRun:
    def __init__(self, out: Path, result: Result, t0, t1, served: dict) -> None:
        self.out, self.result, self.t0, self.t1 = out, result, t0, t1
        self.served = served  # what the console answered while the demo kept it up
        self.summary = json.loads((out / "summary.json").read_text())


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> DemoRun:
    """The demo as a newcomer runs it (no ``--exit``), with its own private Mosquitto (a
    shared broker would bring other nodes' messages, rightly refused with a warning)."""
    out = tmp_path_factory.mktemp("demo") / "demo"
    cached = _reuse_footage(request, out / "footage")
    stdout, stderr = out.parent / "stdout.txt", out.parent / "stderr.txt"
    t0 = datetime.now(UTC)
    with stdout.open("w") as so, stderr.open("w") as se:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streetorder", "demo", "--out", str(out)],
            stdout=so, stderr=se, text=True, start_new_session=True,
        )  # fmt: skip
        try:
            url = _wait_for_console(proc, stdout, stderr, timeout=1800)
            t1 = datetime.now(UTC)
            served = _use_console(url)
            time.sleep(2)  # still up a moment later
            served["alive_after_use"] = proc.poll() is None
            os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the whole group
            started = time.monotonic()
            code = proc.wait(timeout=60)
            served["stop_seconds"] = time.monotonic() - started
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    result = Result(code, stdout.read_text(), stderr.read_text())
    if cached is not None and code in (0, 130):
        _keep_footage(out / "footage", cached)
    return DemoRun(out, result, t0, t1, served)


#: What the demo's footage is made of: any change here makes fresh footage.
FOOTAGE_SOURCES = (
    "models/synth", "models/cli.py", "edge/config.py", "edge/zones.py", "streetorder/config",
    "streetorder/contracts", "streetorder/demo/footage.py",
)  # fmt: skip


def _footage_key() -> str:
    digest = hashlib.sha256()
    for entry in FOOTAGE_SOURCES:
        path = REPO / entry
        for f in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(str(f.relative_to(REPO)).encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()[:16]


def _reuse_footage(request: pytest.FixtureRequest, footage: Path) -> Path | None:
    """Put the footage the demo watches in ``footage``: what an earlier run generated from the
    same generator sources (pytest's cache: the demo then renders nothing, as on a second
    ``./scripts/demo``), else the session's smoke set (the demo renders the rest). Returns
    the cache folder to fill after the run, or None."""
    cache = getattr(request.config, "cache", None)
    folder = cache.mkdir(f"demo-footage-{_footage_key()}") if cache is not None else None
    if folder is not None and (folder / "complete").is_file():
        shutil.copytree(folder / "footage", footage)
        return None
    scenario_dir = request.getfixturevalue("scenario_dir")
    shutil.copytree(scenario_dir, footage)  # the same smoke set the demo would generate
    return folder


def _keep_footage(footage: Path, folder: Path) -> None:
    shutil.rmtree(folder / "footage", ignore_errors=True)
    shutil.copytree(footage, folder / "footage")
    (folder / "complete").write_text(_footage_key())


def _wait_for_console(proc: subprocess.Popen, stdout: Path, stderr: Path, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = SERVING.search(stdout.read_text())
        if found:
            return found.group(1)
        if proc.poll() is not None:
            pytest.fail(f"the demo exited ({proc.returncode}): {stderr.read_text()[-3000:]}")
        time.sleep(1)
    pytest.fail("the demo never said the console stays up")


def _use_console(url: str) -> dict:
    """The login page, then the dashboard as the reviewer the demo's output names."""
    with httpx.Client(base_url=url, timeout=30) as client:
        login = client.get("/console/login")
        token = CSRF.search(login.text)
        client.post(
            "/console/login",
            data={"username": "reviewer", "password": PASSWORD, "next": "",
                  "csrf_token": token.group(1) if token else ""},
        )  # fmt: skip
        dashboard = client.get("/console/dashboard")
    return {
        "login_status": login.status_code,
        "login_form": bool(token) and "password" in login.text,
        "dashboard_status": dashboard.status_code,
        "tiles": dict(TILE.findall(dashboard.text)),
    }


def _time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def test_the_chain_runs_end_to_end(demo: DemoRun) -> None:
    summary, stdout = demo.summary, demo.result.stdout
    assert summary["alerts"] >= 1
    assert (
        summary["cases"] == summary["confirmed"] + summary["rejected"] + summary["pending_review"]
    )
    assert summary["sms"] and all(m["body"] for m in summary["sms"])
    assert summary["closed_case"]["state"] == "closed"
    assert any("close" in step for step in summary["closed_case"]["timeline"])
    # the notify_first street: the merchant corrected, the camera saw it, no officer went
    corrected = summary["self_corrected_case"]
    assert corrected["state"] == "closed" and "after_frame" in corrected["evidence"]
    assert "self_correct" in corrected["timeline"] and "dispatch" not in corrected["timeline"]
    assert summary["replay_metrics"]["f1"] >= 0.9
    # the furniture scene: a shop fitting the model scores as goods/rack/table, no alert
    assert "furniture_only" in summary["footage"]
    assert summary["furniture_scene_alerts"] == 0
    assert "furniture scene:           0 alert(s), none, as expected" in stdout
    assert "console:" in stdout and "/console" in stdout
    assert "What to click" in stdout and "/console/queue" in stdout


def test_a_case_waits_at_every_stage(demo: DemoRun) -> None:
    states = demo.summary["case_states"]
    assert states.get("pending_review", 0) >= 2  # left for the person at the console
    for stage in ("notified", "notified_dispatched", "rectified", "verified"):
        assert states.get(stage, 0) >= 1, states
    assert states.get("closed", 0) >= 2  # by an officer and seen by the camera
    queue_line = next(line for line in demo.result.stdout.splitlines() if "/console/queue" in line)
    assert f"{states['pending_review']} alert(s) wait for you" in queue_line


def test_the_console_stays_up_until_ctrl_c(demo: DemoRun) -> None:
    """The README's command without ``--exit``: the console answers while the demo waits, and
    Ctrl-C (SIGINT) stops it in a few seconds with a closing line, no traceback."""
    served = demo.served
    assert served["login_status"] == 200 and served["login_form"], served
    assert served["dashboard_status"] == 200 and served["alive_after_use"], served
    assert demo.result.returncode in (0, 130), demo.result.stderr[-3000:]
    assert served["stop_seconds"] < 30, served
    assert "Traceback" not in demo.result.stderr
    lines = [line for line in demo.result.stdout.splitlines() if line.strip()]
    assert "press Ctrl-C to stop" in "\n".join(lines[-4:])
    assert lines[-2:] == ["stopping the platform and the broker ...", "stopped."], lines[-4:]


def test_one_case_is_yellow_lit(demo: DemoRun) -> None:
    """The corrected case's re-check passes its (short, demo) limit during the run: it alone is
    overdue, and the dashboard's yellow-light tile (当前黄灯) counts it."""
    overdue = [c for c in demo.summary["case_list"] if c["overdue"]]
    assert [c["state"] for c in overdue] == ["rectified"], overdue
    case = overdue[0]
    assert _time(case["rectified_at"]) < _time(case["deadline_at"])
    assert _time(case["deadline_at"]) < _time(demo.summary["run"]["finished_at"])
    assert demo.served["tiles"]["yellow_lights"] == "1", demo.served["tiles"]
    stages = [line for line in demo.result.stdout.splitlines() if "黄灯 (overdue)" in line]
    assert len(stages) == 1 and case["number"] in stages[0] and "处置" in stages[0], stages


def test_every_time_falls_inside_the_run(demo: DemoRun) -> None:
    """Footage is stamped with the run's clock: discovery, every step, the SMS and handling
    times are those of this run; deadlines lie ahead of it."""
    t0, t1 = demo.t0, demo.t1
    for case in demo.summary["case_list"]:
        for key in TIMES:
            if case[key] is not None:
                assert t0 <= _time(case[key]) <= t1, (case["number"], key, case[key])
        assert case["handling_seconds"] <= (t1 - t0).total_seconds()
        if case["deadline_at"] is not None:
            assert _time(case["deadline_at"]) > _time(case["discovered_at"])
    closed = [c for c in demo.summary["case_list"] if c["state"] == "closed"]
    assert closed and all(c["handling_seconds"] < 3600 for c in closed)
    days = {t.astimezone(SHANGHAI).date() for t in (t0, t1)}
    for sms in demo.summary["sms"]:
        assert t0 <= _time(sms["created_at"]) <= t1
        written = {f"{d:%Y-%m-%d}" for d in days} | {f"{d.month}月{d.day}日" for d in days}
        assert any(day in sms["body"] for day in written), sms["body"]
    run = demo.summary["run"]
    assert t0 <= _time(run["cameras_live_from"]) <= _time(run["finished_at"]) <= t1


def test_after_photos_show_the_same_camera_without_goods(demo: DemoRun) -> None:
    """Each officer's photo is the case's own camera (its clear view is the closest of all the
    cameras'), and where the generator's truth has the goods standing, the detector finds them
    in the case's evidence frame but not in the photo."""
    import cv2
    import numpy as np

    from streetorder.edge.detect import OnnxDetector
    from streetorder.edge.detections import box_iou

    photos = demo.summary["after_photos"]
    assert len(photos) >= 3  # closed, verified and corrected by the officer
    footage = demo.out / "footage"
    references = {
        _camera(p): cv2.imread(str(p)).astype(np.float32) for p in footage.rglob("*.reference.jpg")
    }
    detector = OnnxDetector(None)
    cases = {str(c["id"]): c for c in demo.summary["case_list"]}
    for case_id, photo in photos.items():
        case = cases[case_id]
        image = cv2.imread(photo["photo"])
        assert photo["camera"] == case["camera"]
        distance = {cam: float(np.abs(ref - image).mean()) for cam, ref in references.items()}
        assert min(distance, key=distance.get) == photo["camera"], distance
        goods = _truth_goods(footage, case["camera"])
        evidence = cv2.imread(str(demo.out / "edge" / "evidence" / f"{case['alert_id']}_clean.jpg"))
        assert _overlaps(_violations(detector, evidence), goods, box_iou)  # seen in the evidence
        assert not _overlaps(_violations(detector, image), goods, box_iou)  # gone in the photo


def _camera(reference: Path) -> str:
    """The demo's camera id for a scenario file (seeded shops are renamed)."""
    name = reference.name.split(".")[0]
    folder = reference.parent.name
    if folder.startswith("shop-"):
        name = f"{name}-{folder.removeprefix('shop-')}"
    return f"cam-{name}"[:64]


def _truth_goods(footage: Path, camera: str):
    """Boxes of the violation-class objects at the truth's first threshold on ``camera``."""
    import numpy as np

    for path in footage.rglob("*.truth.json"):
        if _camera(path) != camera:
            continue
        truth = json.loads(path.read_text(encoding="utf-8"))
        at = truth["episodes"][0]["threshold_seconds"]
        frame = min(truth["frames"], key=lambda f: abs(f["t"] - at))
        boxes = [o["box_xyxy"] for o in frame["objects"] if o["class_name"] in VIOLATION]
        assert boxes, (camera, at)
        return np.array(boxes, np.float32)
    raise AssertionError(f"no truth for {camera}")


def _violations(detector, image):
    import numpy as np

    found = detector(image)
    keep = [detector.names[int(c)] in VIOLATION for c in found.class_id]
    return np.asarray(found.xyxy, np.float32)[np.array(keep, bool)].reshape(-1, 4)


def _overlaps(boxes, goods, box_iou) -> bool:
    return bool(len(boxes)) and bool((box_iou(boxes, goods) >= 0.3).any())


def test_contact_sheet_has_no_empty_tile(demo: DemoRun) -> None:
    import cv2

    sheet = cv2.imread(str(demo.out / "evidence_sheet.jpg"))
    assert sheet is not None
    h, w = sheet.shape[:2]
    cols = w // 640
    tile_h = h // max(1, round(h / (640 * 9 / 16)))
    assert cols >= 1 and tile_h > 0
    for top in range(0, h - tile_h + 1, tile_h):
        for left in range(0, w, 640):
            tile = sheet[top : top + tile_h, left : left + 640]
            assert tile.std() > 10, (top, left)  # a picture, not a flat black or grey box


def test_no_warnings_and_bars_reach_100_percent(demo: DemoRun) -> None:
    stderr = demo.result.stderr
    assert "Traceback" not in stderr
    noisy = [line for line in stderr.splitlines() if " WARNING " in line or " ERROR " in line]
    assert not noisy, noisy
    lines = ANSI.sub("", stderr).replace("\r", "\n").splitlines()
    for name in demo.summary["footage"]:
        bar = re.compile(rf"(^|\s){re.escape(name)}: +(\d+)%")
        finals = [m.group(2) for m in map(bar.search, lines) if m]
        assert finals and finals[-1] == "100", (name, finals[-3:])
    assert timedelta(0) < demo.t1 - demo.t0


def test_a_citizen_report_is_handled_to_closure(demo: DemoRun) -> None:
    """Open311 (the second source of cases): a resident's report about a shop with no open case
    becomes a citizen case, handled to closure within the run; the reporter's Open311 status
    says closed and their SMS is queued; the output names it (test_demo_citizen.py checks the
    photos and the console page of the same step)."""
    case = demo.summary["citizen_case"]
    assert case["source"] == "citizen" and case["state"] == "closed", case
    assert case["open311"]["status"] == "closed" and case["open311"]["status_notes"]
    assert case["reporter_sms"] and case["service_request_id"] in case["reporter_sms"]["body"]
    kinds = [s.split()[0] for s in case["steps"]]
    # the shop's camera case came first: a repeat offence within the year is fined and paid
    fined = ["罚款", "缴款"] if case["track"] == "penalty" else []
    assert kinds == ["审核", "派遣", "处置", "核查", *fined, "结案"], case["steps"]
    assert demo.t0 <= _time(case["discovered_at"]) <= _time(case["closed_at"]) <= demo.t1
    camera_cases = {c["id"]: c for c in demo.summary["case_list"]}
    assert case["id"] not in camera_cases  # a case of its own, not joined to a camera's
    assert case["after_photo"]["camera"] != "cam-put_out_twice"  # not the notify_first street
    request_id = case["service_request_id"]
    line = f"citizen case {case['number']} (市民上报 (citizen), Open311 {request_id}): closed"
    assert line in demo.result.stdout
    assert "the reporter sees status closed" in demo.result.stdout


def test_what_to_click_sends_the_reviewer_where_the_tour_says(capsys) -> None:
    """The admin's pages (zones, models) refuse a reviewer (无权访问): the tour says to log in
    as admin for them; the reviewer's lines name only the reviewer's pages."""
    from streetorder.demo.runner import _what_to_click

    cases = [
        {"id": 1, "number": "CG00000001", "state": "closed", "self_corrected_at": "2026-12-07"},
        {"id": 2, "number": "CG00000002", "state": "closed", "self_corrected_at": None},
    ]
    _what_to_click(cases, "http://127.0.0.1:8000")
    lines = capsys.readouterr().out.splitlines()
    # the case promised with a work order is the one an officer handled, not the camera's
    (with_order,) = [line for line in lines if "work order, before/after" in line]
    assert "/console/cases/2 — CG00000002" in with_order
    (by_camera,) = [line for line in lines if "closed without an officer" in line]
    assert "/console/cases/1 — CG00000001" in by_camera
    admin = [line for line in lines if "/console/zones" in line or "/console/models" in line]
    assert len(admin) == 1 and "as admin / streetorder-demo:" in admin[0]
    assert "log in as reviewer" in lines[1]
