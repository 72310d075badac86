"""Reviewer verdicts become masks, in real Chromium: a reviewer rejects an alert as a fixed
structure with the keyboard, the admin sees its ignore region dashed over the camera's picture in
the zone editor, removes it and sets the scene reference for tomorrow evening; every change
reaches the edge stand-in on a private Mosquitto and is acknowledged."""

from __future__ import annotations

import queue
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from streetorder.config.common import BrokerConfig
from streetorder.contracts import ConfigPush
from streetorder.i18n import text as message
from streetorder.platform.db import AlertRecord, Camera, Case, IgnoreRegionRecord
from streetorder.platform.domain.ignore_regions import FIXED_STRUCTURE
from streetorder.platform.ingest.consumer import IngestConsumer
from streetorder.platform.ingest.mqtt import MqttPublisher
from streetorder.platform.web.views import REJECT_REASONS
from tests.web.browser_support import serve, wait_until
from tests.web.conftest import Console, console_app
from tests.web.test_console_browser import keyboard_login, screenshot, wait_panel, wait_pending
from tests.web.test_console_http import add_alerts
from tests.web.test_zones_browser import EdgeStandIn

pytestmark = [pytest.mark.browser, pytest.mark.mqtt, pytest.mark.slow]
MASK_YELLOW = (246, 224, 94)


def last_push(edge: EdgeStandIn) -> ConfigPush:
    """The newest config the edge stand-in applied (waits for the first)."""
    push = edge.pushes.get(timeout=10)
    while True:
        try:
            push = edge.pushes.get_nowait()
        except queue.Empty:
            return push


def yellow_on_edge(page, box: list[float]) -> int:
    """Mask-coloured pixels along the top edge of a relative box on the editor's canvas."""
    return page.evaluate(
        """([box, rgb]) => {
          const c = document.getElementById('zone-canvas');
          const g = c.getContext('2d');
          const [x1, y1, x2] = [box[0] * c.width, box[1] * c.height, box[2] * c.width];
          const width = Math.max(1, Math.round(x2 - x1));
          const row = g.getImageData(Math.round(x1), Math.round(y1), width, 1).data;
          let n = 0;
          for (let i = 0; i < row.length; i += 4)
            if (Math.abs(row[i] - rgb[0]) < 30 && Math.abs(row[i + 1] - rgb[1]) < 30
                && Math.abs(row[i + 2] - rgb[2]) < 40) n++;
          return n;
        }""",
        [box, list(MASK_YELLOW)],
    )


def test_reject_as_fixed_structure_then_remove_the_mask_and_set_the_reference(
    sqlite_console: Console, mosquitto_factory, browser, tmp_path: Path
) -> None:
    env = sqlite_console
    (case_id,) = add_alerts(env, 1)
    private = mosquitto_factory()
    broker = BrokerConfig(host=private.host, port=private.port)
    publisher = MqttPublisher(broker)
    app = console_app(env.settings, env.db, env.clock)
    app.state.platform.publisher = publisher
    consumer = IngestConsumer(broker, env.db, env.state.rules, clock=env.clock)
    consumer.start()
    edge = EdgeStandIn(broker)
    key = str(REJECT_REASONS.index(FIXED_STRUCTURE) + 1)
    reviewer = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    admin = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="en-GB")
    try:
        assert consumer.wait_connected(10)
        with env.db.session() as s:
            camera_id = s.scalar(select(Camera.id))
            alert = s.scalars(select(AlertRecord).filter_by(case_id=case_id)).one()
            alert_id, objects = alert.alert_id, len(alert.objects)
        with serve(app) as base:
            page = reviewer.new_page()
            keyboard_login(page, base, "reviewer")
            wait_panel(page, case_id)
            for k in ("r", key, "Enter"):
                page.keyboard.press(k)
            wait_pending(page, 0)
            wait_until(page, "document.getElementById('toast').textContent.includes('忽略')")
            assert "此后该摄像头忽略此处(mask-1" in page.text_content("#toast")

            pushed = last_push(edge)  # the rejection pushed the mask without anyone saving
            regions = pushed.cameras[0].ignore
            assert 1 <= len(regions) <= objects
            assert {r.alert_id for r in regions} == {alert_id}
            with env.db.session() as s:
                assert s.get(Case, case_id).reject_reason == message("reason.fixed_structure")
                rows = list(s.scalars(select(IgnoreRegionRecord)))
                assert {r.created_by for r in rows} == {"reviewer"}  # the user name

            page = admin.new_page()
            page.set_default_timeout(15000)
            keyboard_login(page, base, "admin", f"/console/zones/{camera_id}")
            page.wait_for_selector("#zone-canvas")
            wait_until(page, "document.getElementById('zone-canvas').width === 640")
            listed = page.eval_on_selector_all(
                "#mask-list li", "els => els.map(e => e.dataset.code)"
            )
            assert listed == [r.id for r in regions]
            assert alert_id in page.text_content("#mask-list")
            first = regions[0]
            assert yellow_on_edge(page, list(first.box)) > 10  # the dashed rectangle is drawn
            screenshot(page, tmp_path, "zone-masks.png")

            page.click(f'#mask-list li[data-code="{first.id}"] .remove-mask')
            wait_until(
                page,
                "document.getElementById('push-status').textContent"
                f".includes('已确认版本{pushed.revision + 1}:已生效')",
                timeout=20,
            )
            codes = page.eval_on_selector_all(
                "#mask-list li", "els => els.map(e => e.dataset.code)"
            )
            assert codes == [r.id for r in regions[1:]]
            after_remove = last_push(edge)
            assert first.id not in {r.id for r in after_remove.cameras[0].ignore}
            assert after_remove.revision == pushed.revision + 1

            page.fill("#reference-time", "22:30")
            page.select_option("#reference-day", "tomorrow")
            page.click("#reference-at")
            wait_until(
                page,
                "document.getElementById('reference-status').textContent.includes('已确认')",
                timeout=20,
            )
            text = page.text_content("#reference-status")
            assert "22:30" in text and "由admin admin设置" in text
            with_reference = last_push(edge)
            reference = with_reference.cameras[0].reference
            local = env.clock.now.astimezone(env.state.rules.tz)
            want = datetime.combine(
                local.date() + timedelta(days=1), datetime.strptime("22:30", "%H:%M").time(),
                tzinfo=env.state.rules.tz,
            )  # fmt: skip
            assert reference is not None and reference.at == want

            page.click("#reference-now")
            wait_until(
                page,
                "document.getElementById('reference-status').textContent.includes('已确认')"
                " && !document.getElementById('reference-status').textContent.includes('22:30')",
                timeout=20,
            )
            assert last_push(edge).cameras[0].reference.at == env.clock.now
            page.reload()  # what the page shows after a reload comes from the database
            assert "已确认" in page.text_content("#reference-status")
            screenshot(page, tmp_path, "zone-reference.png")
    finally:
        reviewer.close()
        admin.close()
        edge.stop()
        consumer.stop()
        publisher.close()
    with env.db.session() as s:
        removed = s.scalars(select(IgnoreRegionRecord).filter_by(code=first.id)).one()
        assert removed.removed_by and removed.removed_at == env.clock.now
