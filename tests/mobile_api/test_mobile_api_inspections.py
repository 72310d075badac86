"""Inspections through the API: colour schedule across simulated days, colour changes with
causes, special inspections, the squad summary, and the list's paging and sync."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from streetorder.mobile_api.domain.risk import ColourRules
from streetorder.mobile_api.services.scheduler import schedule_inspections
from streetorder.mobile_api.settings import MobileSettings
from tests.mobile_api.world import World, build_world

KEYS = ("out_of_shop_trading", "pavement_occupied", "frontage_clean", "signboard_safe",
        "waste_sorted")  # fmt: skip
CLEAN = dict.fromkeys(KEYS, "pass")
VIOLATION = CLEAN | {"out_of_shop_trading": "fail"}
ISSUES = CLEAN | {"waste_sorted": "fail"}


def run_scheduler(world: World):
    mobile = world.app.state.mobile.mobile
    with world.db.session() as session:
        return schedule_inspections(
            session, schedule=mobile.schedule, colours=mobile.colours, now=world.clock()
        )


def inspect(world: World, shop: str, answers: dict, user: str = "officer-a", **extra) -> dict:
    body = {"merchant_id": world.shops[shop], "answers": answers, **extra}
    response = world.post(user, "/inspections", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_schedule_follows_colours_across_simulated_days(database_url: str, tmp_path: Path) -> None:
    # no stepping down here, so each shop keeps its colour for the whole month
    mobile = MobileSettings(colours=ColourRules(clean_run_to_step_down=100))
    world = build_world(database_url, tmp_path, mobile=mobile)
    names = {v: k for k, v in world.shops.items()}
    visits: dict[str, list[datetime]] = {"shop-1": [], "shop-2": [], "shop-3": []}
    try:
        for _day in range(30):
            run_scheduler(world)
            page = world.get("officer-a", "/tasks", params={"kind": "inspection"}).json()
            due = [datetime.fromisoformat(t["due_at"]) for t in page["data"]]
            assert due == sorted(due)  # by due date
            for task in page["data"]:
                if datetime.fromisoformat(task["due_at"]) <= world.clock() + timedelta(hours=12):
                    done = inspect(
                        world, names[task["merchant"]["id"]], CLEAN, task_id=task["ref_id"]
                    )
                    assert task["ref_id"] in done["closed_task_ids"]
                    visits[names[task["merchant"]["id"]]].append(world.clock())
            world.clock.advance(timedelta(days=1))
    finally:
        world.client.close()
        world.db.dispose()
    # shop-3 is red (every 2 days), shop-2 yellow (weekly), shop-1 green (monthly)
    assert [len(visits[s]) for s in ("shop-3", "shop-2", "shop-1")] == [15, 5, 1]
    for shop, days in (("shop-3", 2), ("shop-2", 7)):
        gaps = {b - a for a, b in zip(visits[shop], visits[shop][1:], strict=False)}
        assert gaps == {timedelta(days=days)}, shop


def test_colour_changes_follow_the_rules_with_causes(world: World) -> None:
    shop = world.shops["shop-1"]  # starts green
    first = inspect(world, "shop-1", VIOLATION, notes="货架摆出店外")
    assert first["result"] == "violation"
    assert first["colour_change"] == {"before": "green", "after": "red",
                                      "cause": "inspection_violation"}  # fmt: skip
    results = []
    for answers in (CLEAN, CLEAN, CLEAN, ISSUES, CLEAN, CLEAN, CLEAN):
        world.clock.advance(timedelta(days=1))
        results.append(inspect(world, "shop-1", answers))
    assert [r["result"] for r in results] == ["clean"] * 3 + ["issues"] + ["clean"] * 3
    assert [r["colour_after"] for r in results] == ["red", "red", "yellow"] + ["yellow"] * 3 + [
        "green"
    ]
    world.dispatch_alert("shop-1")
    assert run_scheduler(world).colour_changes == 1
    risk = world.get("officer-a", f"/merchants/{shop}/risk").json()
    assert [(c["colour_before"], c["colour_after"], c["cause"]) for c in risk["changes"]] == [
        ("green", "red", "inspection_violation"),
        ("red", "yellow", "clean_run"),
        ("yellow", "green", "clean_run"),
        ("green", "red", "confirmed_violation"),
    ]
    assert risk["clean_run"] == 0
    # red again: the next visit is due two days after the last inspection
    last = datetime.fromisoformat(results[-1]["inspected_at"])
    assert datetime.fromisoformat(risk["next_due_at"]) == last + timedelta(days=2)
    listed = world.get("officer-a", "/inspections", params={"merchant_id": shop}).json()
    assert listed["count"] == 8 and listed["data"][0]["id"] == results[-1]["id"]

    bad = world.post("officer-a", "/inspections",
                     json={"merchant_id": shop, "answers": CLEAN | {"bogus": "pass"}})  # fmt: skip
    assert bad.status_code == 422 and "bogus" in bad.json()["detail"]
    partial = {k: v for k, v in CLEAN.items() if k != "signboard_safe"}
    bad = world.post("officer-a", "/inspections", json={"merchant_id": shop, "answers": partial})
    assert bad.status_code == 422 and "signboard_safe" in bad.json()["detail"]
    items = world.get("officer-a", "/checklist").json()
    assert [i["key"] for i in items] == list(KEYS) and items[0]["violation"] is True


def test_special_inspections(world: World) -> None:
    due = (world.clock() + timedelta(days=3)).isoformat()
    body = {"title": "长宁路跨门营业专项整治", "due_at": due, "area": "长宁路",
            "merchant_ids": [world.shops["shop-3"]]}  # fmt: skip
    created = world.post("leader-a", "/special-inspections", key="special-0000001", json=body)
    assert created.status_code == 201, created.text
    assert len(created.json()["task_ids"]) == 3  # shop-1 and shop-2 by area, shop-3 listed
    for wrong, status in (
        ({"area": "不存在路", "merchant_ids": []}, 422),
        ({"area": "不存在路"}, 422),  # even beside listed shops
        ({"area": "%", "merchant_ids": []}, 422),  # wildcards are plain text
        ({"merchant_ids": [world.shops["shop-9"]], "area": None}, 404),
        ({"due_at": (world.clock() - timedelta(hours=1)).isoformat()}, 422),
        ({"due_at": "2026-12-01T00:00:00"}, 422),  # no time zone
    ):
        assert (
            world.post("leader-a", "/special-inspections", json=body | wrong).status_code == status
        )
    tasks = world.get("officer-a", "/tasks", params={"kind": "special"}).json()
    assert tasks["count"] == 3
    assert {t["title"] for t in tasks["data"]} == {"长宁路跨门营业专项整治"}
    assert world.get("officer-b", "/tasks", params={"kind": "special"}).json()["count"] == 0
    done = inspect(world, "shop-1", CLEAN)
    assert len(done["closed_task_ids"]) == 1
    listed = world.get("leader-a", "/special-inspections").json()
    assert listed[0]["done"] == 1 and len(listed[0]["task_ids"]) == 3


def test_summary_and_list_paging_and_sync(world: World) -> None:
    run_scheduler(world)
    _, order_1, _ = world.dispatch_alert("shop-1")
    _, order_2, _ = world.dispatch_alert("shop-2")
    summary = world.get("leader-a", "/squad/summary").json()
    assert summary["shops_by_colour"] == {"green": 1, "yellow": 1, "red": 1}
    assert summary["inspections"] == {"due": 3, "overdue": 0}
    assert summary["work_orders"] == {"due": 2, "overdue": 0}
    world.clock.advance(timedelta(hours=2))
    summary = world.get("leader-a", "/squad/summary").json()
    assert summary["inspections"] == {"due": 0, "overdue": 3}
    assert sorted(summary["overdue_shop_ids"]) == sorted(
        world.shops[s] for s in ("shop-1", "shop-2", "shop-3")
    )

    full = world.get("officer-a", "/tasks", params={"limit": 100}).json()
    assert full["count"] == 5
    paged = []
    for offset in range(0, 6, 2):
        page = world.get("officer-a", "/tasks", params={"limit": 2, "offset": offset}).json()
        assert page["count"] == 5
        paged += [t["id"] for t in page["data"]]
    assert paged == [t["id"] for t in full["data"]]
    assert [t["overdue"] for t in full["data"]] == [True] * 3 + [False] * 2  # overdue first
    only = world.get("officer-a", "/tasks", params={"kind": "work_order"}).json()
    assert {t["id"] for t in only["data"]} == {f"work_order:{order_1}", f"work_order:{order_2}"}

    since = full["server_time"]
    world.clock.advance(timedelta(minutes=1))
    assert world.post("officer-a", f"/work-orders/{order_2}/acknowledge").status_code == 200
    inspect(world, "shop-3", CLEAN)
    changed = world.get("officer-a", "/tasks", params={"changed_since": since}).json()
    statuses = {t["id"]: t["status"] for t in changed["data"]}
    assert statuses[f"work_order:{order_2}"] == "in_progress"
    assert "done" in statuses.values()  # the finished inspection task comes down too
    assert len(statuses) == 2
    in_progress = world.get("officer-a", "/tasks", params={"status": "in_progress"}).json()
    assert [t["id"] for t in in_progress["data"]] == [f"work_order:{order_2}"]
