"""Zone editor end to end: draw on the camera's frame in Chromium, save, the edge acknowledges.

Real Mosquitto (a private one), the platform's MQTT publisher and ingest consumer, and an edge
stand-in that judges the push with the edge's own ``runtime.config_push.decide`` and answers
with its ``ConfigAck`` on the ack topic, as the edge node does.
"""

from __future__ import annotations

import queue
import uuid
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select

from streetorder.config.common import BrokerConfig
from streetorder.contracts import ConfigPush, encode, topics
from streetorder.edge.runtime.config_push import decide
from streetorder.i18n import text
from streetorder.platform.db import Camera, ConfigPushRecord, Zone
from streetorder.platform.ingest.consumer import IngestConsumer
from streetorder.platform.ingest.mqtt import MqttPublisher
from tests.web.browser_support import serve, wait_until
from tests.web.conftest import Console, console_app
from tests.web.seeding import NODE
from tests.web.test_console_browser import keyboard_login, screenshot
from tests.web.test_console_http import add_alerts

pytestmark = [pytest.mark.browser, pytest.mark.mqtt, pytest.mark.slow]


class EdgeStandIn:
    """Subscribes to the node's config topic and acknowledges like the edge node."""

    def __init__(self, broker: BrokerConfig) -> None:
        self.active = 0
        self.pushes: queue.Queue[ConfigPush] = queue.Queue()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"edge-{uuid.uuid4().hex[:6]}",
            protocol=mqtt.MQTTv5,
        )  # fmt: skip
        self.client.on_connect = lambda c, u, f, r, p: c.subscribe(topics.config(NODE), qos=1)
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()

    def _on_message(self, client, userdata, message) -> None:
        decision = decide(
            message.payload, node_id=NODE, active_revision=self.active, now=datetime.now(UTC)
        )
        if decision.action == "apply":
            self.active = decision.push.revision
            self.pushes.put(decision.push)
        if decision.ack is not None:
            client.publish(topics.config_ack(NODE), encode(decision.ack), qos=1)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_draw_a_zone_save_and_see_the_edge_acknowledge(
    sqlite_console: Console, mosquitto_factory, page, tmp_path: Path
) -> None:
    env = sqlite_console
    add_alerts(env, 1)  # gives the camera a latest frame to draw on
    private = mosquitto_factory()
    broker = BrokerConfig(host=private.host, port=private.port)
    publisher = MqttPublisher(broker)
    app = console_app(env.settings, env.db, env.clock)
    app.state.platform.publisher = publisher
    consumer = IngestConsumer(broker, env.db, env.state.rules, clock=env.clock)
    consumer.start()
    edge = EdgeStandIn(broker)
    shop = env.registry.shops[-1]
    try:
        assert consumer.wait_connected(10)
        with env.db.session() as s:
            camera_id = s.scalar(select(Camera.id))
            before = {z.code for z in s.scalars(select(Zone).filter_by(camera_id=camera_id))}
        with serve(app) as base:
            keyboard_login(page, base, "admin", "/console/zones")
            page.click(f'a[href="/console/zones/{camera_id}"]')
            wait_until(page, "document.getElementById('zone-canvas').width === 640")
            box = page.locator("#zone-canvas").bounding_box()
            page.keyboard.press("n")
            corners = [(0.70, 0.30), (0.95, 0.30), (0.95, 0.55), (0.70, 0.55)]
            for x, y in corners:
                page.mouse.click(box["x"] + x * box["width"], box["y"] + y * box["height"])
            page.keyboard.press("Enter")
            page.keyboard.type(shop)  # the new zone's merchant field has the focus
            page.click("#save-zones")
            wait_until(
                page,
                "document.getElementById('push-status').textContent.includes('已生效')",
                timeout=20,
            )
            status = page.text_content("#push-status")
            assert text("editor.applied", node=NODE, revision=1) in status  # 已确认版本1:已生效
            page.evaluate("window.scrollTo(0, 0)")
            screenshot(page, tmp_path, "zones-pushed.png")
        pushed = edge.pushes.get(timeout=5)
    finally:
        edge.stop()
        consumer.stop()
        publisher.close()
    new_codes = {z.id for z in pushed.cameras[0].zones} - before
    assert len(new_codes) == 1
    (code,) = new_codes
    zone = next(z for z in pushed.cameras[0].zones if z.id == code)
    assert zone.shop_id == shop
    with env.db.session() as s:  # a new zone is named after its shop
        named = s.scalars(select(Zone).filter_by(code=code)).one()
        assert named.name == text("editor.new_zone_name", shop=named.merchant.name)
    for (x, y), (want_x, want_y) in zip(zone.polygon, corners, strict=True):
        assert abs(x - want_x) < 0.01 and abs(y - want_y) < 0.01
    with env.db.session() as s:
        record = s.scalars(select(ConfigPushRecord)).one()
        assert record.revision == 1 and record.published and record.ack_accepted is True
        stored = s.scalars(select(Zone).filter_by(camera_id=camera_id, code=code)).one()
        assert stored.merchant.shop_id == shop
