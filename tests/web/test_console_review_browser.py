"""The console as a reviewer meets it, in real headless Chromium: in Chinese, the evidence with
the frontage zone drawn over it, the clip playing, confirm and reject with the mouse, the case
page with the SMS and the work order, and the switch to English and back.

The camera is ``tests/web/frontage.py``'s: a generated street scene whose zones follow the shop
frontages, with goods standing in the first one.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import cv2
import pytest
from sqlalchemy import select

from streetorder.i18n import text
from streetorder.platform.db import Case, IgnoreRegionRecord, User, WorkOrder
from streetorder.platform.domain.roles import Actor, Role
from streetorder.platform.imaging.validate import clean_image
from streetorder.platform.services import cases, evidence, work_orders
from streetorder.platform.services import sms as sms_service
from streetorder.platform.sms.providers import OutboxProvider
from streetorder.platform.web.views import REJECT_REASONS
from tests.web.browser_support import serve, wait_until
from tests.web.conftest import Console
from tests.web.frontage import (
    SIZE,
    foot,
    frontage_alert,
    frontage_scene,
    inside,
    register_frontage_camera,
)
from tests.web.seeding import PASSWORD
from tests.web.test_console_browser import screenshot, wait_panel, wait_pending

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def frontage_cases(env: Console, count: int) -> list[int]:
    register_frontage_camera(env.db, env.registry.shops[:2])
    return [
        frontage_alert(
            env.db,
            env.state.store,
            env.state.rules,
            shop=env.registry.shops[0],
            crossed_at=env.clock.now - timedelta(minutes=count - i),
            directory=env.evidence_tmp,
            n=i,
            now=env.clock.now,
        )  # fmt: skip
        for i in range(count)
    ]


def mouse_login(page, base: str, username: str, path: str = "/console/queue") -> None:
    page.goto(base + path)
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', PASSWORD)
    page.click('form.login button[type="submit"]')
    page.wait_for_url(re.compile(re.escape(path) + "$"))


def close(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return abs(a[0] - b[0]) < 0.2 and abs(a[1] - b[1]) < 0.2


def points(attribute: str) -> list[tuple[float, float]]:
    return [tuple(float(v) for v in p.split(",")) for p in attribute.split()]


def test_review_with_the_mouse_in_chinese_with_the_zone_over_the_evidence(
    sqlite_console: Console, page, tmp_path: Path
) -> None:
    env = sqlite_console
    first, second = frontage_cases(env, 2)
    scene = frontage_scene()
    shop_name = "陆家嘴水果店1号"  # shops[0] of tests/web/seeding.py
    with serve(env.app) as base:
        mouse_login(page, base, "reviewer")
        assert page.get_attribute("html", "lang") == "zh-CN"
        assert page.text_content(".topbar nav a.active").strip() == "审核队列"
        assert page.text_content("#whoami").strip() == "reviewer reviewer · 审核员"
        page.click(f'.queue-item[data-case-id="{first}"]')
        wait_panel(page, first)

        # the zone of the registry, drawn over the frame in the frame's pixels
        assert page.get_attribute(".panel svg.overlay", "viewBox") == f"0 0 {SIZE[0]} {SIZE[1]}"
        drawn = points(page.get_attribute(".panel svg.overlay .zone-outline", "points"))
        want = [(x * SIZE[0], y * SIZE[1]) for x, y in scene.zones[0][1]]
        assert len(drawn) == len(want)
        assert all(
            abs(a[0] - b[0]) < 0.2 and abs(a[1] - b[1]) < 0.2
            for a, b in zip(drawn, want, strict=False)
        )
        polygon = [[x / SIZE[0], y / SIZE[1]] for x, y in drawn]
        for obj in scene.objects:  # the goods stand inside the outlined frontage
            assert inside(foot(obj.box_xyxy, SIZE), polygon)
        assert page.locator(".panel svg.overlay .object-box").count() == len(scene.objects)
        assert "货物 91%" in page.text_content(".panel svg.overlay .object-box text")
        zone_label = page.text_content(".panel svg.overlay .zone-label")
        assert zone_label == f"{shop_name}门前"  # the zone's name, which names the shop
        assert page.text_content(".panel svg.overlay .dwell-label").startswith("已停留")
        assert page.text_content(".panel .shop-name").strip() == shop_name
        # in the zone since 5 minutes before the alert, which came 2 minutes ago
        assert (
            page.text_content(".panel .dwell").strip().startswith("7分0秒 (规则:超过5分0秒即告警)")
        )
        overlay = page.locator(".panel svg.overlay").bounding_box()
        frame = page.locator(".panel .frame.annotated").bounding_box()
        assert abs(overlay["width"] - frame["width"]) < 2
        assert abs(overlay["height"] - frame["height"]) < 2

        # the clip the edge wrote (H.264 in MP4) plays in the browser
        page.evaluate("document.querySelector('.panel video.clip').play()")
        wait_until(
            page,
            "document.querySelector('.panel video.clip').currentTime > 0.3 && "
            f"document.querySelector('.panel video.clip').videoWidth === {SIZE[0]}",
        )
        page.evaluate("document.querySelector('.panel video.clip').pause()")
        screenshot(page, tmp_path, "queue.png")

        page.click("#reject-button")  # a mis-click: the other button switches the verdict
        assert page.is_visible("#reject-box") and not page.is_visible("#confirm-box")
        page.click("#confirm-button")
        assert page.is_visible("#confirm-box") and not page.is_visible("#reject-box")
        page.click("#submit-confirm")
        wait_pending(page, 1)
        assert "已确认" in page.text_content("#toast")

        wait_panel(page, second)
        page.click("#reject-button")
        reasons = page.eval_on_selector_all(
            "#reject-box .reasons li", "els => els.map(e => e.dataset.code)"
        )
        assert reasons == list(REJECT_REASONS) and "fixed_structure" in reasons
        labels = page.eval_on_selector_all(
            "#reject-box .reason-btn", "els => els.map(e => e.textContent)"
        )
        assert any("固定设施" in label for label in labels)
        page.click('#reject-box li[data-code="fixed_structure"] button')
        assert (
            page.get_attribute('#reject-box li[data-code="fixed_structure"]', "class") == "picked"
        )
        page.click("#submit-reject")
        wait_pending(page, 0)
        toast = page.text_content("#toast")
        assert "已驳回" in toast and "此后该摄像头忽略此处" in toast
        assert page.is_visible("#queue-done")

    with env.db.session() as s:
        assert s.get(Case, first).state == "notified_dispatched"
        rejected = s.get(Case, second)
        assert rejected.state == "rejected"
        assert rejected.reject_reason == text("reason.fixed_structure")
        assert s.scalars(select(IgnoreRegionRecord)).first().case_id == second


def test_case_page_shows_the_sms_and_the_work_order_with_before_and_after(
    sqlite_console: Console, page, tmp_path: Path
) -> None:
    env = sqlite_console
    (case_id,) = frontage_cases(env, 1)
    rules, now = env.state.rules, env.clock.now
    # records keep user names (as the console and the officer app record them); pages show names
    reviewer = Actor(role=Role.REVIEWER, name="reviewer", user_id=env.registry.users["reviewer"])
    with env.db.session() as s:
        s.get(User, env.registry.users["reviewer"]).display_name = "陈静"
        officer_user = s.get(User, env.registry.users["officer"])
        officer_user.display_name = "王建国"
        officer = Actor(
            role=Role.OFFICER, name=officer_user.username, user_id=officer_user.id,
            squad_id=officer_user.squad_id,
        )  # fmt: skip
        cases.confirm(s, case_id=case_id, actor=reviewer, rules=rules, now=now)
    sms_service.deliver_due(env.db, provider=OutboxProvider(), rules=rules, now=now)
    delivered_at = now + timedelta(seconds=40)
    with env.db.session() as s:
        (message,) = sms_service.list_messages(s, case_id=case_id)[0]
        sms_service.record_delivery(s, message_id=message.id, delivered=True, now=delivered_at)
        order = s.scalars(select(WorkOrder).filter_by(case_id=case_id)).one()
        work_orders.acknowledge(
            s, work_order_id=order.id, actor=officer, now=now + timedelta(hours=1)
        )
    ok, jpeg = cv2.imencode(".jpg", frontage_scene().clear)  # the same camera, goods taken in
    assert ok
    after = now + timedelta(hours=2)
    with env.db.session() as s:
        case = cases.get_case(s, case_id=case_id)
        photo = evidence.attach_case_photo(
            s, store=env.state.store, case=case, actor=officer, filename="after.jpg",
            photo=clean_image(jpeg.tobytes(), evidence.PHOTO_POLICY), now=after,
        )  # fmt: skip
        cases.rectify(
            s, case_id=case_id, actor=officer, rules=rules, now=after, photo_ids=[photo.id]
        )
    env.clock.advance(hours=3)

    with serve(env.app) as base:
        mouse_login(page, base, "reviewer", f"/console/cases/{case_id}")
        sms = page.locator("#sms .sms").first
        assert "跨门营业" in sms.locator(".sms-body").text_content()
        assert sms.get_attribute("data-state") == "delivered"
        assert sms.locator(".sms-state").text_content() == "已送达"
        assert "送达 2026-11-20 10:00" in sms.locator(".sms-delivered").text_content()

        order = page.locator("#work-orders .work-order").first
        assert order.locator(".order-officer").text_content() == "王建国"
        assert order.locator(".order-officer .person").get_attribute("title") == "用户名 officer"
        acknowledged = order.locator('.order-timeline li[data-event="acknowledge"] .person')
        assert acknowledged.text_content() == "王建国"
        assert order.locator(".order-state").text_content() == "已完成"
        steps = order.locator(".order-timeline li").evaluate_all(
            "els => els.map(e => e.dataset.event)"
        )
        assert steps == ["create", "acknowledge", "complete"]
        assert "接单" in order.locator(".order-timeline").text_content()
        assert (
            "请您24小时内责令商户改正违法行为"
            in order.locator(".order-instructions").text_content()
        )

        wait_until(
            page,
            "Array.from(document.querySelectorAll('#photos img'))"
            ".every(i => i.complete && i.naturalWidth > 0)",
        )
        before = page.locator("#photos .before img").bounding_box()
        after_box = page.locator("#photos .officer-photo img").bounding_box()
        assert (
            abs(before["y"] - after_box["y"]) < 2 and after_box["x"] > before["x"] + before["width"]
        )
        assert "执法队员上传" in page.text_content("#photos .officer-photo figcaption")
        events = page.eval_on_selector_all("#timeline li", "els => els.map(e => e.dataset.event)")
        assert events[-3:] == ["confirm", "dispatch", "rectify"]
        confirmed = page.locator('#timeline li[data-event="confirm"]')
        assert confirmed.locator(".person").text_content() == "陈静"
        assert "reviewer" not in confirmed.inner_text()  # the user name only as the tooltip
        assert page.locator('#timeline li[data-event="rectify"] .person').text_content() == "王建国"
        assert page.text_content("#case-state").strip() == "已处置,待核查"
        assert page.text_content("#handling-time").strip() == "3小时1分钟"
        screenshot(page, tmp_path, "case.png", full_page=True)

        page.click('#language-form button[value="en"]')
        page.wait_for_url(re.compile(r"done=language"))
        assert page.get_attribute("html", "lang") == "en"
        assert page.text_content("#sms .sms-state") == "delivered"
        assert page.text_content("#handling-time").strip() == "3 hours 1 minute"
        assert "The console is now in English." in page.text_content(".flash")
        page.click('#language-form button[value="zh-CN"]')
        page.wait_for_url(re.compile(r"done=language"))
        assert page.get_attribute("html", "lang") == "zh-CN"
        assert page.text_content(".topbar nav a.active").strip() == "案件"


def test_a_new_zone_is_named_after_its_shop_on_a_camera_whose_zones_follow_the_frontages(
    sqlite_console: Console, page, tmp_path: Path
) -> None:
    env = sqlite_console
    frontage_cases(env, 1)  # gives the camera its latest frame
    with env.db.session() as s:
        from streetorder.platform.db import Camera

        camera_id = s.scalar(select(Camera.id).filter_by(code="cam-frontage"))
    shop = env.registry.shops[2]
    with serve(env.app) as base:
        mouse_login(page, base, "admin", f"/console/zones/{camera_id}")
        wait_until(page, f"document.getElementById('zone-canvas').width === {SIZE[0]}")
        names = page.eval_on_selector_all("#zone-list .name", "els => els.map(e => e.value)")
        assert names == ["陆家嘴水果店1号门前", "陆家嘴鲜花店2号门前"]  # drawn on the frontages
        box = page.locator("#zone-canvas").bounding_box()
        page.click('#zone-list li[data-code="z2"] .remove')  # the second shop moved out:
        page.click("#new-zone")  # its frontage is drawn again for the new tenant
        for x, y in frontage_scene().zones[1][1]:
            page.mouse.click(box["x"] + x * box["width"], box["y"] + y * box["height"])
        page.keyboard.press("Enter")
        new = page.locator("#zone-list li").last
        assert new.locator(".name").input_value() == "z2门前"  # named before it has a shop
        new.locator(".shop").fill(shop)
        assert new.locator(".name").input_value() == "陆家嘴杂货店3号门前"
        assert "请为区域绑定商户" in page.text_content("#push-status")
        page.evaluate("window.scrollTo(0, 0)")
        screenshot(page, tmp_path, "zones.png")
