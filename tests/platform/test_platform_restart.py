"""`platform serve` keeps its MQTT session: alerts sent while the platform is down become cases
when it is back. The control shows what a throwaway session would lose."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from streetorder.config.common import BrokerConfig
from streetorder.contracts import encode, topics
from streetorder.platform.db import Case
from streetorder.platform.ingest.consumer import replica_client_id
from streetorder.platform.settings import IngestSettings
from streetorder.server.runtime import ServerRuntime

from .test_platform_ingest import publish, publisher, wait_for

pytestmark = pytest.mark.mqtt


def case_count(p, alert_id: str) -> int:
    with p.db.session() as s:
        return s.scalar(select(func.count()).select_from(Case).where(Case.alert_id == alert_id))


def runtime_for(p, broker, *, persistent: bool) -> ServerRuntime:
    """The server on the wall clock (the test's alerts too: they are refused outside the
    ingest's clock-skew window)."""
    p.clock.now = datetime.now(UTC)
    settings = p.settings.model_copy(
        update={
            "broker": BrokerConfig(host=broker.host, port=broker.port, keepalive_seconds=5),
            "ingest": IngestSettings(share_group="replicas", persistent_session=persistent),
        }
    )
    runtime = ServerRuntime(settings, jobs=False)
    runtime.start()
    assert runtime.consumer.wait_connected(10)
    time.sleep(0.3)  # subscriptions granted
    return runtime


@pytest.mark.parametrize("persistent", [True, False], ids=["persistent", "throwaway"])
def test_alerts_sent_while_the_platform_is_down_arrive_when_it_is_back(
    platform_factory, mosquitto_factory, persistent: bool
) -> None:
    broker = mosquitto_factory()
    p = platform_factory(node_code="edge-restart")
    client = publisher(broker)
    runtime = runtime_for(p, broker, persistent=persistent)
    try:
        before = p.alerts()
        publish(client, topics.alerts("edge-restart"), encode(before))
        wait_for(lambda: case_count(p, before.alert_id) == 1)
        runtime.stop()

        while_down = p.alerts(zone="z2", shop="shop-002")
        publish(client, topics.alerts("edge-restart"), encode(while_down))
        runtime = runtime_for(p, broker, persistent=persistent)
        after = p.alerts()
        publish(client, topics.alerts("edge-restart"), encode(after))
        wait_for(lambda: case_count(p, after.alert_id) == 1)
        time.sleep(0.5)
        assert case_count(p, while_down.alert_id) == (1 if persistent else 0)
    finally:
        runtime.stop()
        client.loop_stop()
        client.disconnect()


def test_the_replica_client_id_is_stable_and_configurable() -> None:
    broker = BrokerConfig(host="127.0.0.1", port=1883)
    ingest = IngestSettings(share_group="g1")
    first = replica_client_id(broker, ingest)
    assert first is not None and first.startswith("streetorder-platform-g1-")
    assert replica_client_id(broker, ingest) == first
    named = BrokerConfig(host="127.0.0.1", port=1883, client_id="platform-a")
    assert replica_client_id(named, ingest) == "platform-a"
    assert replica_client_id(broker, IngestSettings(persistent_session=False)) is None
