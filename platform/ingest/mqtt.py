"""The platform's paho-mqtt clients (MQTT 5 by default) from a :class:`BrokerConfig`."""

from __future__ import annotations

import logging
import threading
import uuid

import paho.mqtt.client as mqtt

from streetorder.config.common import BrokerConfig
from streetorder.mqtt import connect_async
from streetorder.mqtt import make_client as shared_make_client

log = logging.getLogger(__name__)


def make_client(
    broker: BrokerConfig, client_id: str, *, persistent: bool = False, manual_ack: bool = False
) -> mqtt.Client:
    client = shared_make_client(broker, client_id, persistent=persistent, manual_ack=manual_ack)
    client.reconnect_delay_set(1, 30)
    return client


class MqttPublisher:
    """Publishes config pushes (retained, QoS 1) and waits for the broker's PUBACK."""

    def __init__(self, broker: BrokerConfig, *, timeout_seconds: float = 5.0) -> None:
        self.timeout = timeout_seconds
        self.connected = threading.Event()
        self.client = make_client(broker, f"streetorder-platform-pub-{uuid.uuid4().hex[:8]}")
        self.client.on_connect = lambda c, u, f, reason, p: (
            self.connected.set() if not reason.is_failure else None
        )
        self.client.on_disconnect = lambda *a: self.connected.clear()
        connect_async(self.client, broker, persistent=False)
        self.client.loop_start()

    def publish(self, topic: str, payload: bytes, *, qos: int, retain: bool) -> bool:
        if not self.connected.wait(self.timeout):
            log.warning("not connected to the broker: %s not published", topic)
            return False
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        try:
            info.wait_for_publish(self.timeout)
        except (RuntimeError, ValueError):
            return False
        return info.is_published()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
