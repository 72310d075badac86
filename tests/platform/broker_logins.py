"""An MQTT 5 login for the broker-ACL tests: connection result, PUBACK and SUBACK reason codes,
and every message received."""

from __future__ import annotations

import threading
import time
import uuid

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion


class Login:
    def __init__(self, port: int, username: str | None, password: str | None) -> None:
        self.connected = threading.Event()
        self.answered = threading.Event()
        self.connect_reason: int | None = None
        self.pubacks: dict[int, int] = {}
        self.subacks: list[list[int]] = []
        self.messages: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"acl-test-{uuid.uuid4().hex[:8]}",
            protocol=mqtt.MQTTv5,
        )
        if username is not None:
            self.client.username_pw_set(username, password)
        self.client.on_connect = self._on_connect
        self.client.on_publish = self._on_publish
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.connect_async("127.0.0.1", port)
        self.client.loop_start()
        self.answered.wait(10)

    def _on_connect(self, client, userdata, flags, reason, properties) -> None:
        self.connect_reason = reason.value
        if not reason.is_failure:
            self.connected.set()
        else:
            client.disconnect()  # no reconnect attempts after a refusal
        self.answered.set()

    def _on_publish(self, client, userdata, mid, reason, properties) -> None:
        with self._lock:
            self.pubacks[mid] = reason.value

    def _on_subscribe(self, client, userdata, mid, reasons, properties) -> None:
        with self._lock:
            self.subacks.append([r.value for r in reasons])

    def _on_message(self, client, userdata, message) -> None:
        with self._lock:
            self.messages.append((message.topic, bytes(message.payload)))

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> int:
        """The PUBACK reason code (0: accepted, 0x87: not authorized)."""
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with self._lock:
                if info.mid in self.pubacks:
                    return self.pubacks[info.mid]
            time.sleep(0.02)
        raise AssertionError(f"no PUBACK for {topic}")

    def subscribe(self, *topic_filters: str) -> list[int]:
        """The SUBACK reason codes (granted QoS, or 0x87 not authorized)."""
        before = len(self.subacks)
        self.client.subscribe([(t, 1) for t in topic_filters])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.subacks) > before:
                    return self.subacks[before]
            time.sleep(0.02)
        raise AssertionError("no SUBACK")

    def received(self, topic_prefix: str = "") -> list[tuple[str, bytes]]:
        with self._lock:
            return [m for m in self.messages if m[0].startswith(topic_prefix)]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
