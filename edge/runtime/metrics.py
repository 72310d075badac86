"""Prometheus metrics, liveness and readiness of an edge node, on a small HTTP listener.

Per camera: frames analysed, analysis and detector time, analysis lag, source errors and
reconnects, open episodes, state and model version; per node: outbox depth, the oldest unsent
message's age, evidence uploads pending and the broker connection. Everything is read from the
node at scrape time, so the hot path only bumps plain counters. Names and meanings:
docs/OPERATIONS.md.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    SummaryMetricFamily,
)
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

PREFIX = "streetorder_edge"
CAMERA_STATES = ("connecting", "online", "stalled", "frozen", "reconnecting", "offline", "disabled")


class NodeView(Protocol):
    """What the collector reads of a running node (``edge.node.EdgeNode``)."""

    node_id: str

    def metrics_view(self) -> dict[str, Any]: ...


class EdgeCollector(Collector):
    def __init__(self, node: NodeView) -> None:
        self.node = node

    def collect(self) -> Iterator[Any]:
        view = self.node.metrics_view()
        node = self.node.node_id
        yield _gauge("outbox_messages", "Messages to deliver (queued or awaiting a receipt).",
                     node, view["outbox_messages"])  # fmt: skip
        yield _gauge("outbox_awaiting_receipt", "Published messages without the platform's "
                     "receipt yet.", node, view["outbox_awaiting_receipt"])  # fmt: skip
        yield _gauge("outbox_oldest_seconds", "Age of the oldest message still to deliver.",
                     node, view["outbox_oldest_seconds"])  # fmt: skip
        dropped = CounterMetricFamily(f"{PREFIX}_outbox_dropped", "Messages dropped because the "
                                      "outbox was full.", labels=["node"])  # fmt: skip
        dropped.add_metric([node], view["outbox_dropped"])
        yield dropped
        yield _gauge("evidence_uploads_pending", "Evidence files not yet on the platform.",
                     node, view["uploads_pending"])  # fmt: skip
        if view["broker_connected"] is not None:
            yield _gauge("broker_connected", "1 while the broker connection is up.", node,
                         1 if view["broker_connected"] else 0)  # fmt: skip
        yield from _cameras(node, view["cameras"])


def _gauge(name: str, doc: str, node: str, value: float) -> GaugeMetricFamily:
    family = GaugeMetricFamily(f"{PREFIX}_{name}", doc, labels=["node"])
    family.add_metric([node], value)
    return family


def _cameras(node: str, cameras: list[dict[str, Any]]) -> Iterator[Any]:
    labels = ["node", "camera"]
    frames = CounterMetricFamily(f"{PREFIX}_frames_analysed", "Frames analysed.", labels=labels)
    analysis = SummaryMetricFamily(
        f"{PREFIX}_analysis_seconds", "Time in the pipeline per frame (detector included).",
        labels=labels,
    )  # fmt: skip
    detector = SummaryMetricFamily(
        f"{PREFIX}_detector_seconds", "The detector's own time per frame.", labels=labels
    )
    lag = GaugeMetricFamily(f"{PREFIX}_analysis_lag_seconds", "From frame capture to its "
                            "analysis, last frame.", labels=labels)  # fmt: skip
    source_errors = CounterMetricFamily(f"{PREFIX}_source_errors", "Stream reads or decodes "
                                        "that failed.", labels=labels)  # fmt: skip
    reconnects = CounterMetricFamily(f"{PREFIX}_reconnects", "Reconnections to the camera.",
                                     labels=labels)  # fmt: skip
    pipeline_errors = CounterMetricFamily(f"{PREFIX}_pipeline_errors", "Frames the pipeline "
                                          "failed on.", labels=labels)  # fmt: skip
    episodes = GaugeMetricFamily(f"{PREFIX}_open_episodes", "Episodes alerted and not yet "
                                 "ended.", labels=labels)  # fmt: skip
    state = GaugeMetricFamily(f"{PREFIX}_camera_state", "1 for the camera's current state.",
                              labels=[*labels, "state"])  # fmt: skip
    model = InfoMetricFamily(f"{PREFIX}_camera_model", "The model version a camera runs.",
                             labels=labels)  # fmt: skip
    for cam in cameras:
        key = [node, cam["camera"]]
        frames.add_metric(key, cam["frames"])
        analysis.add_metric(key, count_value=cam["frames"], sum_value=cam["analysis_seconds"])
        detector.add_metric(key, count_value=cam["frames"], sum_value=cam["detector_seconds"])
        lag.add_metric(key, cam["lag_seconds"])
        source_errors.add_metric(key, cam["source_errors"])
        reconnects.add_metric(key, cam["reconnects"])
        pipeline_errors.add_metric(key, cam["pipeline_errors"])
        episodes.add_metric(key, cam["open_episodes"])
        for name in CAMERA_STATES:
            state.add_metric([*key, name], 1 if cam["state"] == name else 0)
        if cam.get("model"):
            model.add_metric(key, cam["model"])
    yield from (frames, analysis, detector, lag, source_errors, reconnects, pipeline_errors,
                episodes, state, model)  # fmt: skip


class MetricsServer:
    """``/metrics``, ``/livez`` and ``/readyz`` of one node on ``host:port`` (port 0: any)."""

    def __init__(self, node: NodeView, host: str, port: int) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.registry.register(EdgeCollector(node))
        registry, view = self.registry, node

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    self._send(200, generate_latest(registry), CONTENT_TYPE_LATEST)
                elif path == "/livez":
                    self._json(200, {"status": "ok"})
                elif path == "/readyz":
                    ready, checks = readiness(view.metrics_view())
                    self._json(200 if ready else 503, {"ready": ready, "checks": checks})
                else:
                    self._json(404, {"detail": f"no such path: {path}"})

            def _json(self, status: int, body: dict[str, Any]) -> None:
                self._send(status, json.dumps(body).encode(), "application/json")

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                log.debug("metrics: " + format, *args)

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="edge-metrics", daemon=True
        )

    def start(self) -> None:
        self._thread.start()
        log.info("metrics on http://%s:%d/metrics", *self.server.server_address[:2])

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def readiness(view: dict[str, Any]) -> tuple[bool, dict[str, str]]:
    """Ready: the outbox is open and, where the node uses a broker, it is connected. Cameras
    are reported, not required: one dark camera must not take the node out of service."""
    checks = {"outbox": "ok"}
    if view["broker_connected"] is not None:
        checks["broker"] = "ok" if view["broker_connected"] else "disconnected"
    online = sum(1 for cam in view["cameras"] if cam["state"] == "online")
    checks["cameras"] = f"{online} of {len(view['cameras'])} online"
    return all(v == "ok" for k, v in checks.items() if k != "cameras"), checks
