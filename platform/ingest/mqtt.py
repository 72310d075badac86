"""A paho-mqtt 2 (MQTT 5) client configured from a :class:`BrokerConfig`."""

from __future__ import annotations

import logging
import threading
import uuid

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from streetorder.config.common import BrokerConfig

log = logging.getLogger(__name__)


def make_client(broker: BrokerConfig, client_id: str, *, manual_ack: bool = False) -> mqtt.Client:
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5,
        manual_ack=manual_ack,
    )  # fmt: skip
    if broker.username is not None:
        client.username_pw_set(broker.username, broker.password)
    if broker.tls is not None:
        tls = broker.tls
        client.tls_set(
            ca_certs=str(tls.ca_file) if tls.ca_file else None,
            certfile=str(tls.cert_file) if tls.cert_file else None,
            keyfile=str(tls.key_file) if tls.key_file else None,
        )
        client.tls_insecure_set(tls.insecure)
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
        self.client.connect_async(broker.host, broker.port, keepalive=broker.keepalive_seconds)
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
