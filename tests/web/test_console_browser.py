"""End to end in real headless Chromium: log in, review with the keyboard, see SMS and work order.

The platform app (with the console) runs under uvicorn in a thread on a free port, against a
temporary SQLite database; Chromium is Debian's ``/usr/bin/chromium``, never downloaded.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from streetorder.i18n import text
from streetorder.platform.db import Case, CaseEvent, SmsMessage, WorkOrder
from streetorder.platform.web.views import REJECT_REASONS
from tests.web.browser_support import keep_screenshot, serve, wait_until
from tests.web.conftest import Console
from tests.web.seeding import PASSWORD, generate_month
from tests.web.test_console_http import add_alerts

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def keyboard_login(page, base: str, username: str, path: str = "/console/queue") -> None:
    """Open a page, land on the login form and log in with the keyboard alone."""
    page.goto(base + path)
    page.wait_for_selector("form.login")
    page.keyboard.type(username)  # the user name field has autofocus
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(path) + "$"))


def pending(page) -> int:
    return int(page.text_content("#pending-count"))


def wait_pending(page, count: int) -> None:
    wait_until(page, f"document.getElementById('pending-count').textContent === '{count}'")


def selected_case(page) -> int:
    return int(page.get_attribute(".queue-item.selected", "data-case-id"))


def wait_panel(page, case_id: int) -> None:
    page.wait_for_selector(f'.panel[data-case-id="{case_id}"]')


def screenshot(page, tmp_path: Path, name: str, *, full_page: bool = False) -> None:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=full_page)
    assert path.stat().st_size > 10_000
    keep_screenshot(path)


def test_review_an_alert_with_the_keyboard_then_see_sms_and_work_order(
    sqlite_console: Console, page, tmp_path: Path
) -> None:
    env = sqlite_console
    first, second, third = add_alerts(env, 3)
    with serve(env.app) as base:
        keyboard_login(page, base, "reviewer")
        assert pending(page) == 3 and selected_case(page) == first  # oldest first, selected
        wait_panel(page, first)
        wait_until(
            page,
            "document.querySelector('.frame.annotated').complete && "
            "document.querySelector('.frame.annotated').naturalWidth > 0",
        )
        assert page.is_visible(".frame.annotated") and not page.is_visible(".frame.clean")
        page.keyboard.press("a")
        assert page.is_visible(".frame.clean") and not page.is_visible(".frame.annotated")
        page.keyboard.press("a")
        assert page.is_visible("video.clip")
        assert page.text_content(".panel .zone-name").strip().startswith("frontage shop-")
        screenshot(page, tmp_path, "queue-keyboard.png")

        page.keyboard.press("c")
        assert page.is_visible("#confirm-box")
        page.keyboard.press("Enter")
        wait_pending(page, 2)
        assert "已确认" in page.text_content("#toast")
        assert selected_case(page) == second

        page.keyboard.press("r")
        page.keyboard.press("3")
        page.keyboard.press("Enter")
        wait_pending(page, 1)
        assert selected_case(page) == third

        page.goto(f"{base}/console/cases/{first}")
        sms = page.text_content("#sms .sms-body")
        number = page.text_content("#case-number").strip()
        assert number in sms and "跨门营业" in sms and "陆家嘴" in sms
        assert page.is_visible("#work-orders .work-order")
        assert "请您24小时内责令商户改正违法行为" in page.text_content("#work-orders")
        events = page.eval_on_selector_all("#timeline li", "els => els.map(e => e.dataset.event)")
        assert events[-2:] == ["confirm", "dispatch"]
        assert "365天内首次违法" in page.text_content("#exemption-note")
        screenshot(page, tmp_path, "case-dispatched.png")

    with env.db.session() as s:
        assert s.get(Case, first).state == "notified_dispatched"
        rejected = s.get(Case, second)
        assert rejected.reject_reason == text(f"reason.{REJECT_REASONS[2]}")  # in transit
        assert rejected.state == "rejected"
        assert s.get(Case, third).state == "pending_review"


def test_work_through_fifty_alerts_with_the_keyboard_alone(
    sqlite_console: Console, page, tmp_path: Path
) -> None:
    env = sqlite_console
    ids = add_alerts(env, 50)
    verdicts: dict[int, str] = {}
    with serve(env.app) as base:
        keyboard_login(page, base, "reviewer")
        assert pending(page) == 50
        started = time.monotonic()
        for i in range(50):
            case_id = selected_case(page)
            wait_panel(page, case_id)
            if i % 5 == 4:  # every fifth alert is a false positive
                key = str(i // 5 % 9 + 1)
                page.keyboard.press("r")
                page.keyboard.press(key)
                if key == "9":  # "Other": type the reason
                    page.keyboard.type("Shop closed; goods belong to the market stall")
                    reason = "Shop closed; goods belong to the market stall"
                else:
                    reason = text(f"reason.{REJECT_REASONS[int(key) - 1]}")
                verdicts[case_id] = reason
            else:
                page.keyboard.press("c")
                verdicts[case_id] = "confirm"
            page.keyboard.press("Enter")
            wait_pending(page, 49 - i)
        elapsed = time.monotonic() - started
        assert page.is_visible("#queue-done")
        print(f"50 alerts reviewed with the keyboard in {elapsed:.1f} s")
        confirmed = sum(1 for v in verdicts.values() if v == "confirm")
        page.goto(base + "/console/sms")  # every confirmation is in the outbox...
        assert len(page.query_selector_all("#sms-outbox .sms-row")) == confirmed
        page.goto(base + "/console/work-orders")  # ...and among the squads' work orders
        assert len(page.query_selector_all("#work-order-list .work-order")) == confirmed

    assert sorted(verdicts) == sorted(ids)
    with env.db.session() as s:
        for case_id, verdict in verdicts.items():
            case = s.get(Case, case_id)
            events = [e.event for e in s.scalars(select(CaseEvent).filter_by(case_id=case_id))]
            sms = s.scalars(select(SmsMessage).filter_by(case_id=case_id)).all()
            orders = s.scalars(select(WorkOrder).filter_by(case_id=case_id)).all()
            if verdict == "confirm":
                assert case.state == "notified_dispatched"
                assert events[-2:] == ["confirm", "dispatch"]
                assert [m.stage for m in sms] == ["notice"] and len(orders) == 1
            else:
                assert case.state == "rejected" and case.reject_reason == verdict
                assert events[-1] == "reject" and not sms and not orders


def test_dashboard_draws_its_charts(sqlite_console: Console, page, tmp_path: Path) -> None:
    env = sqlite_console
    month = generate_month(
        env.db, env.state.store, env.state.rules, env.registry, end=env.clock.now, days=30,
        per_day=(1, 4), evidence_dir=env.evidence_tmp,
    )  # fmt: skip
    with serve(env.app) as base:
        keyboard_login(page, base, "leader", "/console/dashboard?days=31")
        total = int(page.text_content('[data-metric="total"] .value'))
        assert total == len(month.case_ids)
        streets = page.eval_on_selector_all(
            '[data-chart="by_street"] .bar', "els => els.map(e => Number(e.dataset.value))"
        )
        assert len(streets) == 3 and sum(streets) == total
        days = page.eval_on_selector_all('[data-chart="per_day"] .column', "els => els.length")
        assert days == 31
        screenshot(page, tmp_path, "dashboard.png")


def test_the_queue_reloads_the_next_page_when_one_is_done(sqlite_console: Console, page) -> None:
    env = sqlite_console
    add_alerts(env, 5)
    with serve(env.app) as base:
        keyboard_login(page, base, "reviewer", "/console/queue?limit=3")
        assert len(page.query_selector_all(".queue-item")) == 3
        for left in range(4, -1, -1):
            wait_panel(page, selected_case(page))
            page.keyboard.press("c")
            page.keyboard.press("Enter")
            wait_pending(page, left)
        assert page.is_visible("#queue-done")
