"""The end-to-end demo: each step prints what it did; the summary says where to look."""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
NODE = "edge-demo"
PASSWORD = "streetorder-demo"


@dataclass
class DemoOptions:
    out: Path
    broker: str | None = None
    embedded_broker: bool = False
    database_url: str | None = None
    port: int = 0
    exit_when_done: bool = False


@dataclass
class DemoState:
    """What the steps found out, for the summary."""

    run_started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime | None = None
    live_from: datetime | None = None  # the cameras' clock: when the edge started watching
    footage: list = field(default_factory=list)
    broker: object = None
    platform: object = None
    notify_camera: str | None = None
    alerts: list = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    cases: list = field(default_factory=list)
    cases_final: list = field(default_factory=list)
    confirmed: list[int] = field(default_factory=list)
    rejected: list[int] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)
    sms: list = field(default_factory=list)
    work_orders: list = field(default_factory=list)
    closed_case: dict | None = None
    self_corrected_case: dict | None = None
    yellow_case: dict | None = None  # corrected, its re-check past the demo's short limit
    after_photos: dict = field(default_factory=dict)
    citizen_case: dict | None = None  # the Open311 report's case, to closure (citizen.py)
    sheet: Path | None = None


class Steps:
    """Numbered progress lines: ``[3/9] Starting the platform ... 1.2 s``."""

    def __init__(self, total: int) -> None:
        self.total, self.n = total, 0

    def run(self, title: str, action: Callable[[], T]) -> T:
        self.n += 1
        print(f"[{self.n}/{self.total}] {title} ...", flush=True)
        started = time.monotonic()
        result = action()
        print(f"      done in {time.monotonic() - started:.1f} s", flush=True)
        return result


def run_demo(options: DemoOptions) -> int:
    from streetorder.demo import chain, citizen, edge_feed
    from streetorder.demo.broker import start_demo_broker
    from streetorder.demo.footage import make_footage
    from streetorder.demo.platform_host import notify_first_camera, seed, start_platform

    logging.getLogger("httpx").setLevel(logging.WARNING)
    out = options.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    _fresh_run(out, keep_database=options.database_url is not None)
    state = DemoState()
    steps = Steps(11)
    token = "sok_demo_" + secrets.token_hex(12)
    with ExitStack() as stack:
        prefer = "embedded" if options.embedded_broker else "auto"
        broker = steps.run(
            "Starting the MQTT broker", lambda: start_demo_broker(options.broker, prefer)
        )
        stack.callback(broker.stop)
        state.broker = broker
        print(f"      {broker.kind} broker on {broker.host}:{broker.port}")
        state.footage = steps.run(
            "Generating street footage with ground truth (models scenarios)",
            lambda: make_footage(out / "footage"),
        )
        for s in state.footage:
            print(f"      {s.name}: {s.video.name}, {s.episodes} violation episode(s)")
        node_config = edge_feed.node_config(
            state.footage, node_id=NODE, broker=broker, token=token, storage=out / "edge-state"
        )
        state.notify_camera = notify_first_camera(node_config.cameras)
        host = steps.run(
            "Starting the platform (API, console, MQTT ingest) and seeding the registry",
            lambda: _platform(options, out, broker, node_config, token, start_platform, seed),
        )
        stack.callback(host.stop)
        state.platform = host
        node_config = node_config.model_copy(
            update={"platform": node_config.platform.model_copy(update={"url": host.url})}
        )
        longest = max(s.duration for s in state.footage)
        live_from = datetime.now(UTC).replace(microsecond=0)
        result = steps.run(
            f"Edge: {len(state.footage)} cameras watched live for {longest:.0f} s (detect, "
            "track, time dwell in frontage zones; alerts over MQTT, evidence over HTTP)",
            lambda: edge_feed.run(state.footage, node_config, out / "edge", live_from),
        )
        state.live_from = live_from
        state.alerts, state.metrics = result
        print(f"      {len(state.alerts)} alert(s); replay metrics: {_overall(state.metrics)}")
        api = chain.Api(host.url)
        stack.callback(api.close)
        state.cases = steps.run(
            "Platform: one case per alert (waiting for ingest and evidence)",
            lambda: chain.wait_for_cases(api, state.alerts, timeout=90),
        )
        steps.run("Command centre: review the alerts", lambda: chain.review(api, state))
        steps.run(
            "SMS to the merchants and work orders to the squad", lambda: chain.notify(api, state)
        )
        steps.run(
            "Camera-verified self-correction (notify_first street): verify and close",
            lambda: chain.self_correction(api, state),
        )
        steps.run(
            "Street squad (officer app): correct with an after-photo, verify, close",
            lambda: chain.officer_work(api, state, out),
        )
        steps.run(  # the second source of cases: a resident's report through Open311
            "Open311: a resident reports a shop; the citizen case is handled to closure",
            lambda: citizen.report_to_closure(api, state, out, host.url, host.runtime.db),
        )
        chain.final_cases(api, state)
        state.sheet = steps.run(
            "Contact sheet of the annotated evidence",
            lambda: chain.contact_sheet(out, state.alerts),
        )
        state.finished_at = datetime.now(UTC)
        _summary(state, out, host.url)
        if not options.exit_when_done:
            _serve_until_interrupted(host.url)
    if not options.exit_when_done:
        print("stopped.", flush=True)
    return 0


def _serve_until_interrupted(url: str) -> None:
    """Keep the console (and the platform's jobs) up until Ctrl-C or SIGTERM."""
    import signal

    def interrupt(_signum, _frame) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)  # also when started with SIGINT ignored (`cmd &`)
    print(f"\nThe console stays up at {url}/console — press Ctrl-C to stop.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nstopping the platform and the broker ...", flush=True)


def _fresh_run(out: Path, *, keep_database: bool) -> None:
    """Each demo starts from an empty platform and edge (the footage is reused): alert ids are
    stable, so a second run on old state would find its cases already handled."""
    import shutil

    for name in ("edge", "edge-state", "platform-evidence"):
        shutil.rmtree(out / name, ignore_errors=True)
    if not keep_database:
        for suffix in ("", "-wal", "-shm"):
            (out / f"platform.db{suffix}").unlink(missing_ok=True)


def _platform(options, out, broker, node_config, token, start_platform, seed):
    host = start_platform(
        out=out, database_url=options.database_url, broker=broker.config(), port=options.port
    )
    seed(host, node_code=NODE, cameras=node_config.cameras, node_token=token)
    return host


def _overall(metrics: dict[str, Any]) -> str:
    o = metrics.get("overall")
    if not o:
        return "no ground truth"
    return f"precision {o['precision']}, recall {o['recall']}, F1 {o['f1']}"


def _furniture_alerts(state: DemoState) -> int | None:
    from streetorder.demo.edge_feed import camera_id
    from streetorder.demo.footage import FURNITURE_SCENE

    if not any(s.name == FURNITURE_SCENE for s in state.footage):
        return None
    camera = camera_id(FURNITURE_SCENE)
    return sum(1 for a in state.alerts if a.camera_id == camera)


#: Case states as the command centre names its stages.
STAGES = {
    "pending_review": "审核 (pending review)",
    "notified": "立案 (confirmed, SMS sent, merchant correcting)",
    "notified_dispatched": "派遣 (dispatched to the squad)",
    "rectified": "处置 (corrected, officer's photo)",
    "verified": "核查 (verified)",
    "closed": "结案 (closed)",
    "rejected": "rejected (false alarm)",
}
CASE_TIMES = (
    "discovered_at", "confirmed_at", "dispatched_at", "rectified_at", "verified_at",
    "closed_at", "self_corrected_at", "episode_ended_at", "deadline_at", "rectify_deadline_at",
)  # fmt: skip


def _case_record(case: dict) -> dict:
    return {
        "id": case["id"],
        "number": case["number"],
        "state": case["state"],
        "camera": case["camera_code"],
        "alert_id": case["alert_id"],
        "overdue": case["overdue"],
        "handling_seconds": case["handling_seconds"],
        "handling_time": case["handling_time"],
        **{key: case.get(key) for key in CASE_TIMES},
    }


def _summary(state: DemoState, out: Path, url: str) -> None:
    from collections import Counter

    from streetorder.demo.citizen import print_summary as print_citizen_case

    states = Counter(c["state"] for c in state.cases_final)
    cases = sorted(state.cases_final, key=lambda c: c["id"])
    summary = {
        "run": {
            "started_at": state.run_started_at.isoformat(),
            "cameras_live_from": state.live_from.isoformat() if state.live_from else None,
            "finished_at": state.finished_at.isoformat() if state.finished_at else None,
        },
        "footage": [s.name for s in state.footage],
        "alerts": len(state.alerts),
        "replay_metrics": state.metrics.get("overall"),
        "cases": len(state.cases),
        "confirmed": len(state.confirmed),
        "rejected": len(state.rejected),
        "pending_review": len(state.pending),
        "sms": [
            {
                "case_id": m["case_id"],
                "state": m["state"],
                "body": m["body"],
                "created_at": m.get("created_at"),
            }
            for m in state.sms
        ],
        "work_orders": len(state.work_orders),
        "closed_case": state.closed_case,
        "self_corrected_case": state.self_corrected_case,
        "citizen_case": state.citizen_case,
        "after_photos": {str(k): v for k, v in state.after_photos.items()},
        "furniture_scene_alerts": _furniture_alerts(state),
        "case_states": dict(states),
        "case_list": [_case_record(c) for c in cases],
        "evidence_sheet": str(state.sheet) if state.sheet else None,
        "console": f"{url}/console",
        "api_docs": f"{url}/api/v1/docs",
    }
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
    print("\n=== streetorder demo: summary ===")
    print(f"alerts from the edge:      {len(state.alerts)} ({_overall(state.metrics)})")
    print(f"cases on the platform:     {len(state.cases)}")
    print(
        f"confirmed / rejected / waiting for review: {len(state.confirmed)} / "
        f"{len(state.rejected)} / {len(state.pending)}"
    )
    print(f"SMS in the outbox:         {len(state.sms)}")
    for m in state.sms[:3]:
        print(f"   → {m['mobile']}: {m['body']}")
    print(f"work orders dispatched:    {len(state.work_orders)}")
    if state.closed_case:
        c = state.closed_case
        print(f"closed case {c['number']}: {c['state']}, handling time {c['handling_time']}")
        for e in c.get("timeline", []):
            print(f"   {e}")
    if state.self_corrected_case:
        c = state.self_corrected_case
        print(f"self-corrected case {c['number']}: {c['state']}, no officer trip ({c['evidence']})")
    print_citizen_case(state.citizen_case, url)
    print("cases by stage:")
    for c in cases:
        stage = STAGES.get(c["state"], c["state"])
        light = "  黄灯 (overdue)" if c.get("overdue") else ""
        print(f"   {c['number']}  {stage:<48} {c['camera_code']}{light}")
    furniture = _furniture_alerts(state)
    if furniture is not None:
        verdict = "none, as expected" if furniture == 0 else "UNEXPECTED"
        print(
            f"furniture scene:           {furniture} alert(s), {verdict}: fixed furniture and a "
            "shop fitting the detector scores as goods/rack/table stand in its frontages; the "
            "scene reference counts only what is new"
        )
    print("\nWhere to look:")
    print(f"  annotated evidence:  {out / 'edge' / 'evidence'}  (sheet: {state.sheet})")
    print(f"  annotated videos:    {out / 'edge'}/*.annotated.mp4")
    print(f"  replay metrics:      {out / 'edge' / 'metrics.json'}")
    print(f"  summary:             {out / 'summary.json'}")
    print(f"  console:             {url}/console   (reviewer / {PASSWORD}; admin / {PASSWORD})")
    print(f"  API docs:            {url}/api/v1/docs")
    _what_to_click(cases, url)


def _what_to_click(cases: list[dict], url: str) -> None:
    """A short tour of the console over the cases this run left at each stage."""
    tour = []
    pending = [c for c in cases if c["state"] == "pending_review"]
    if pending:
        tour.append(
            f"{url}/console/queue — the review queue: {len(pending)} alert(s) wait for you; "
            "look at the evidence, then confirm or reject (buttons, or the keys c / r)."
        )
    officer_closed = [c for c in cases if c["state"] == "closed" and not c.get("self_corrected_at")]
    camera_closed = [c for c in cases if c["state"] == "closed" and c.get("self_corrected_at")]
    for found, what in (
        (officer_closed, "a closed case: timeline, SMS, work order, before/after photos"),
        (camera_closed, "closed without an officer: the merchant corrected within the grace "
         "period and the camera saw it (before/after from the camera; no work order)"),
    ):  # fmt: skip
        if found:
            tour.append(f"{url}/console/cases/{found[0]['id']} — {found[0]['number']}: {what}")
    for state, what in (
        (
            "rectified",
            "corrected by the officer, photo uploaded: its re-check is past the demo's "
            "1-minute limit, so it is yellow (黄灯); verify it or send it back",
        ),
        ("verified", "verified by the squad leader: the centre closes it"),
        ("notified_dispatched", "dispatched: the squad's open work order and its deadline"),
        ("notified", "SMS sent; the merchant has the grace period, the camera watches"),
    ):
        case = next((c for c in cases if c["state"] == state), None)
        if case is not None:
            tour.append(f"{url}/console/cases/{case['id']} — {case['number']}: {what}")
    yellow = sum(1 for c in cases if c.get("overdue"))
    tour.append(
        f"{url}/console/dashboard — the day's figures ({yellow} yellow light(s), 黄灯, now); "
        f"{url}/console/sms and "
        f"{url}/console/work-orders — the outbox and the squad's orders."
    )
    tour.append(  # the admin's pages: a reviewer is refused them (无权访问)
        f"as admin / {PASSWORD}: {url}/console/zones — the frontage zones on each camera; "
        f"{url}/console/models — the model versions."
    )
    print(f"\nWhat to click (log in as reviewer / {PASSWORD}):")
    for n, line in enumerate(tour, start=1):
        print(f"  {n}. {line}")
