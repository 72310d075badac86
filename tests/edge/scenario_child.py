"""``edge run`` on a scenario video with the truth's own boxes as the detector, for kill tests:
``python -m tests.edge.scenario_child NODE_YAML TRUTH_JSON``. SIGTERM/SIGINT stop cleanly.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from streetorder.edge.config import load_edge_config
from streetorder.edge.node import EdgeNode
from tests.support.truth_runtime import truth_runtime


def main() -> None:
    cfg, truth = Path(sys.argv[1]), Path(sys.argv[2])
    config = load_edge_config(cfg)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    EdgeNode(config, base_dir=cfg.parent, runtime=truth_runtime(truth), stop=stop).run()


if __name__ == "__main__":
    main()
