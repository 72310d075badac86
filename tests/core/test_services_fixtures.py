"""The test fixtures themselves talk to real services."""

from __future__ import annotations

import paho.mqtt.client as mqtt
import pytest
import sqlalchemy as sa

from tests.support.services import port_open


def _roundtrip(host: str, port: int, topic: str) -> bytes:
    got: list[bytes] = []
    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    sub.on_message = lambda _c, _u, msg: got.append(msg.payload)
    sub.connect(host, port)
    sub.subscribe(topic, qos=1)
    sub.loop_start()
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    pub.connect(host, port)
    pub.loop_start()
    import time

    time.sleep(0.3)
    pub.publish(topic, b"ping", qos=1).wait_for_publish(5)
    deadline = time.monotonic() + 5
    while not got and time.monotonic() < deadline:
        time.sleep(0.05)
    pub.loop_stop()
    sub.loop_stop()
    return got[0] if got else b""


@pytest.mark.mqtt
def test_machine_broker_round_trip(mqtt_broker):
    assert _roundtrip(mqtt_broker.host, mqtt_broker.port, "streetorder/test/fixture") == b"ping"


@pytest.mark.mqtt
def test_private_broker_stops_and_restarts(mosquitto_factory):
    broker = mosquitto_factory()
    assert _roundtrip(broker.host, broker.port, "t/1") == b"ping"
    broker.stop()
    assert not port_open(broker.host, broker.port)
    broker.start()
    assert _roundtrip(broker.host, broker.port, "t/2") == b"ping"


def test_database_url_is_fresh_and_writable(database_url):
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        assert sa.inspect(conn).get_table_names() == []
        conn.execute(sa.text("CREATE TABLE probe (id INTEGER PRIMARY KEY)"))
        conn.execute(sa.text("INSERT INTO probe (id) VALUES (1)"))
        assert conn.execute(sa.text("SELECT count(*) FROM probe")).scalar_one() == 1
    engine.dispose()
