"""A stand-in edge process for kill tests: enqueue alerts at a pace and drain them to MQTT.

``python -m tests.edge.outbox_child DB HOST PORT NODE COUNT INTERVAL`` prints ``queued <id>``
after each durable enqueue and ``drained`` once everything is acknowledged, then exits.
"""

from __future__ import annotations

import sys
import threading
import time

from streetorder.config.common import BrokerConfig
from streetorder.contracts import encode, topics
from streetorder.edge.transport.mqtt import Drainer, MqttLink
from streetorder.edge.transport.queue import Outbox
from tests.edge.mqtt_support import make_alert


def main() -> None:
    db, host, port, node, count, interval = sys.argv[1:7]
    outbox = Outbox(db)
    stop = threading.Event()
    link = MqttLink(BrokerConfig(host=host, port=int(port), keepalive_seconds=5), node, window=8)
    drainer = Drainer(outbox, link, stop, window=8, await_receipts=False)  # no platform here
    link.start()
    drainer.start()
    for i in range(int(count)):
        alert = make_alert(node, i)
        outbox.put(alert.alert_id, topics.alerts(node), encode(alert))
        print(f"queued {alert.alert_id}", flush=True)
        time.sleep(float(interval))
    while len(outbox):
        time.sleep(0.05)
    print("drained", flush=True)
    stop.set()
    drainer.join(5)
    link.stop()


if __name__ == "__main__":
    main()
