"""paho-mqtt clients made one way for the edge and the platform, from a :class:`BrokerConfig`.

MQTT 5 is the default (session expiry, shared subscriptions, receive maximum). MQTT 3.1.1 is
supported for brokers without version 5, such as the demo's embedded broker: the session is kept
with ``clean_session=False`` and version-5 properties are left out.
"""

from __future__ import annotations

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from streetorder.config.common import BrokerConfig


def is_v5(broker: BrokerConfig) -> bool:
    return broker.protocol == "5"


def make_client(
    broker: BrokerConfig, client_id: str, *, persistent: bool, manual_ack: bool = False
) -> mqtt.Client:
    """A client with credentials and TLS applied; ``persistent`` keeps the session (3.1.1)."""
    if is_v5(broker):
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=manual_ack,
        )
    else:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv311,
            clean_session=not persistent,
            manual_ack=manual_ack,
        )
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
    return client


def connect_async(
    client: mqtt.Client,
    broker: BrokerConfig,
    *,
    persistent: bool,
    session_expiry_seconds: int | None = None,
    receive_maximum: int | None = None,
) -> None:
    """Start connecting in the background; paho keeps retrying until it succeeds."""
    if not is_v5(broker):
        client.connect_async(broker.host, broker.port, keepalive=broker.keepalive_seconds)
        return
    props = Properties(PacketTypes.CONNECT)
    if persistent and session_expiry_seconds:
        props.SessionExpiryInterval = session_expiry_seconds
    if receive_maximum:
        props.ReceiveMaximum = receive_maximum
    client.connect_async(
        broker.host,
        broker.port,
        keepalive=broker.keepalive_seconds,
        clean_start=not persistent,
        properties=props,
    )
