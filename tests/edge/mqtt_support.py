"""Helpers for the edge's MQTT tests: a persistent-session subscriber and contract messages."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from streetorder.contracts import Alert, DetectedObject, ModelInfo, decode, stable_alert_id

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def make_alert(node_id: str, i: int, camera_id: str = "cam-01") -> Alert:
    """The i-th alert of a node, with a stable id as the pipeline would make it."""
    started = T0 + timedelta(minutes=i)
    return Alert(
        alert_id=stable_alert_id(node_id, camera_id, "z1", started, 0),
        node_id=node_id,
        camera_id=camera_id,
        zone_id="z1",
        shop_id="shop-001",
        episode_started_at=started,
        threshold_crossed_at=started + timedelta(seconds=30),
        dwell_seconds=30.0,
        objects=(DetectedObject(class_name="goods", score=0.9, box_xyxy=(1, 2, 30, 40)),),
        frame_size=(1280, 720),
        model=ModelInfo(name="test", version="0"),
        created_at=started + timedelta(seconds=30),
    )


class Subscriber:
    """Collects every message on some topics, over a persistent session that survives restarts."""

    def __init__(self, host: str, port: int, *topic_filters: str) -> None:
        self.messages: list[tuple[str, bytes, bool]] = []
        self._lock = threading.Lock()
        self._filters = topic_filters
        self.subscribed = threading.Event()
        self.subscriptions = 0  # SUBACKs received: one more after every reconnect
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"test-sub-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv5,
        )
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.reconnect_delay_set(1, 2)
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
        self.client.connect_async(host, port, clean_start=False, properties=props)
        self.client.loop_start()
        if not self.subscribed.wait(10):
            raise RuntimeError(f"test subscriber could not subscribe at {host}:{port}")

    def _on_connect(self, client, userdata, flags, reason, properties) -> None:
        for f in self._filters:
            client.subscribe(f, qos=1)

    def _on_subscribe(self, *args) -> None:
        self.subscriptions += 1
        self.subscribed.set()

    def _on_message(self, client, userdata, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((message.topic, bytes(message.payload), bool(message.retain)))

    def payloads(self, topic: str) -> list[bytes]:
        with self._lock:
            return [p for t, p, _ in self.messages if t == topic]

    def alert_ids(self, topic: str) -> list[str]:
        """Ids in arrival order, duplicates included."""
        return [decode(p).alert_id for p in self.payloads(topic)]  # type: ignore[union-attr]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.05)
        return predicate()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def first_arrivals(ids: list[str]) -> list[str]:
    """Dedupe by id, keeping the order of first arrival."""
    seen: set[str] = set()
    out = []
    for i in ids:
        if i not in seen:
            seen.add(i)
            out.append(i)
    return out
