"""The edge node's /metrics, /livez and /readyz: read directly and scraped by a real Prometheus."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from functools import partial
from pathlib import Path

import pytest

from streetorder.edge.config import MetricsListen
from tests.edge.test_node_runtime import Running, camera, node_config
from tests.support.polling import wait_for
from tests.support.prometheus import private_prometheus, samples

pytestmark = pytest.mark.mqtt


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


wait = partial(wait_for, timeout=20.0)


def scrape(base: str) -> dict[tuple[str, tuple], float]:
    status, body = get(f"{base}/metrics")
    assert status == 200
    return samples(body.decode())


def metrics_node(tmp_path: Path, broker) -> Running:
    config = node_config(
        tmp_path, broker, "node-m", [camera("good", "good"), camera("broken", "broken")]
    )
    config = config.model_copy(update={"metrics": MetricsListen(port=0)})
    return Running(config, alert_every=10)


def test_node_metrics_cameras_outbox_and_readiness(mosquitto_factory, tmp_path: Path) -> None:
    broker = mosquitto_factory()
    run = metrics_node(tmp_path, broker)
    try:
        server = wait(lambda: run.node.metrics_server)
        base = f"http://127.0.0.1:{server.port}"
        good = (("camera", "good"), ("node", "node-m"))
        broken = (("camera", "broken"), ("node", "node-m"))
        first = wait(lambda: (m := scrape(base))[("streetorder_edge_frames_analysed_total", good)]
                     >= 5 and m)  # fmt: skip
        assert first[("streetorder_edge_camera_state", (*good, ("state", "online")))] == 1
        assert first[("streetorder_edge_analysis_seconds_count", good)] >= 5
        assert first[("streetorder_edge_frames_analysed_total", broken)] == 0
        errors = wait(lambda: scrape(base)[("streetorder_edge_source_errors_total", broken)])
        assert errors >= 1
        frames = ("streetorder_edge_frames_analysed_total", good)
        later = wait(lambda: (m := scrape(base))[frames] > first[frames] and m)  # counts on
        assert later[("streetorder_edge_broker_connected", (("node", "node-m"),))] == 1
        assert ("streetorder_edge_outbox_oldest_seconds", (("node", "node-m"),)) in later
        assert get(f"{base}/livez") == (200, b'{"status": "ok"}')
        status, body = get(f"{base}/readyz")
        assert status == 200 and json.loads(body)["checks"]["cameras"] == "1 of 2 online"

        broker.stop()  # the link is down: not ready, and the outbox keeps what the camera makes
        status, body = wait(lambda: (r := get(f"{base}/readyz"))[0] == 503 and r)
        assert json.loads(body)["checks"]["broker"] == "disconnected"
        wait(lambda: scrape(base)[("streetorder_edge_outbox_messages", (("node", "node-m"),))])
        aged = wait(lambda: scrape(base)[("streetorder_edge_outbox_oldest_seconds",
                                          (("node", "node-m"),))] > 0.5)  # fmt: skip
        assert aged
        broker.start()
        wait(lambda: get(f"{base}/readyz")[0] == 200)
    finally:
        run.close()


def test_a_real_prometheus_scrapes_the_edge_node(mosquitto_factory, tmp_path: Path) -> None:
    run = metrics_node(tmp_path, mosquitto_factory())
    try:
        server = wait(lambda: run.node.metrics_server)
        target = f"127.0.0.1:{server.port}"
        with private_prometheus(tmp_path, {"edge": target}) as prometheus:
            assert prometheus.wait_for('up{job="edge"} == 1')[0]["metric"]["instance"] == target
            rate = prometheus.wait_for('streetorder_edge_frames_analysed_total{camera="good"} > 0')
            assert rate[0]["metric"]["node"] == "node-m"
    finally:
        run.close()
