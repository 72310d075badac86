"""paho-mqtt clients made one way for the edge and the platform, from a :class:`BrokerConfig`.

MQTT 5 is the default (session expiry, shared subscriptions, receive maximum). MQTT 3.1.1 is
supported for brokers without version 5, such as the demo's embedded broker: the session is kept
with ``clean_session=False`` and version-5 properties are left out.
"""

from __future__ import annotations

import logging
import ssl
import sys
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from streetorder.config.common import BrokerConfig
from streetorder.errors import ConfigError

log = logging.getLogger(__name__)


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
        _apply_tls(client, broker)
    client.on_connect_fail = _ConnectFailLog(broker)
    return client


class _ConnectFailLog:
    """paho retries a failed connection in the background without a word; this names the
    broker and the reason in one line, again only when the reason changes."""

    def __init__(self, broker: BrokerConfig) -> None:
        self.where = f"{broker.host}:{broker.port}"
        self.last: str | None = None

    def __call__(self, client: mqtt.Client, userdata: object) -> None:
        error = sys.exc_info()[1]  # paho calls this inside its ``except OSError``
        reason = str(error) if error is not None else "connection failed"
        if reason != self.last:
            self.last = reason
            log.warning("MQTT broker %s: cannot connect: %s; retrying", self.where, reason)


def _apply_tls(client: mqtt.Client, broker: BrokerConfig) -> None:
    """TLS from ``broker.tls``; a missing or unreadable file is one error naming key and path."""
    tls = broker.tls
    assert tls is not None
    files = {"ca_file": tls.ca_file, "cert_file": tls.cert_file, "key_file": tls.key_file}
    for key, path in files.items():
        if path is not None and not Path(path).is_file():
            raise ConfigError(f"broker.tls.{key}: {path}: file not found")
    try:
        client.tls_set(
            ca_certs=str(tls.ca_file) if tls.ca_file else None,
            certfile=str(tls.cert_file) if tls.cert_file else None,
            keyfile=str(tls.key_file) if tls.key_file else None,
        )
    except (ssl.SSLError, OSError, ValueError) as exc:
        named = ", ".join(f"{k} {p}" for k, p in files.items() if p is not None)
        raise ConfigError(f"broker.tls: cannot load {named or 'the system CA'}: {exc}") from None
    client.tls_insecure_set(tls.insecure)


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
