"""``replay --publish``: hand messages to the node's durable outbox and drain it to the broker."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from streetorder.contracts import Alert, EpisodeEnd, encode, topics
from streetorder.edge.config import EdgeNodeConfig
from streetorder.errors import StreetorderError

log = logging.getLogger(__name__)


class OutboxPublisher:
    """Messages go to ``<storage>/outbox.db`` (as ``edge run`` does) and out over MQTT."""

    def __init__(self, config: EdgeNodeConfig, storage_dir: Path) -> None:
        from streetorder.edge.transport.mqtt import Drainer, MqttLink
        from streetorder.edge.transport.queue import Outbox

        if config.broker is None:
            raise StreetorderError("--publish needs a 'broker' section in the config")
        self.node_id = config.node_id
        self.outbox = Outbox(storage_dir / "outbox.db")
        self.stop_event = threading.Event()
        self.link = MqttLink(config.broker, config.node_id)
        self.drainer = Drainer(self.outbox, self.link, self.stop_event)
        self.link.start()
        self.drainer.start()

    def __call__(self, message: Alert | EpisodeEnd) -> None:
        if isinstance(message, Alert):
            msg_id, topic = message.alert_id, topics.alerts(self.node_id)
        else:
            msg_id, topic = f"end-{message.alert_id}", topics.episodes(self.node_id)
        self.outbox.put(msg_id, topic, encode(message))

    def close(self, timeout: float = 30.0) -> int:
        """Wait up to ``timeout`` s for the broker to acknowledge all; return how many are left."""
        deadline = time.monotonic() + timeout
        while len(self.outbox) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = len(self.outbox)
        if left:
            log.warning(
                "%d message(s) not yet acknowledged; they stay in %s", left, self.outbox.path
            )
        self.stop_event.set()
        self.drainer.join(5)
        self.link.stop()
        self.outbox.close()
        return left
