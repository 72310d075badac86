"""``edge run`` with the scripted runtime, for kill tests: ``python -m tests.edge.node_child CFG``.

Each camera emits alerts 0..59 (stable ids) and then only frames; SIGTERM/SIGINT stop cleanly.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from streetorder.edge.config import load_edge_config
from streetorder.edge.node import EdgeNode
from tests.edge.node_support import scripted_runtime

MAX_ALERTS = 60


def main() -> None:
    config = load_edge_config(sys.argv[1])
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    runtime = scripted_runtime(alert_every=2, max_alerts=MAX_ALERTS)
    EdgeNode(config, base_dir=Path(sys.argv[1]).parent, runtime=runtime, stop=stop).run()


if __name__ == "__main__":
    main()
