"""The edge node's composition root: ``streetorder edge run --config node.yaml``.

Start steps run in order and ``stop()`` undoes the completed ones in reverse; every thread
shares one stop event. Steps: storage (outbox + uploads, SQLite) → active config (the last
accepted push survives restarts) → detector (one shared ONNX session) → MQTT link + outbox
drainer → evidence uploader → camera workers. The main loop applies config pushes and sends
the heartbeat every ``heartbeat_seconds``.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from streetorder.contracts import (
    Alert,
    CameraConfig,
    ConfigAck,
    ConfigPush,
    EpisodeEnd,
    Heartbeat,
    ModelAssignment,
    encode,
    topics,
)
from streetorder.edge.config import EdgeNodeConfig
from streetorder.edge.detect.class_map import zone_class_problem
from streetorder.edge.runtime.anchors import FileAnchors
from streetorder.edge.runtime.base import Runtime, RuntimeFactory
from streetorder.edge.runtime.config_push import ActiveConfigStore, check_push_classes, decide
from streetorder.edge.runtime.episode_store import EpisodeStore
from streetorder.edge.runtime.metrics import MetricsServer
from streetorder.edge.runtime.models import Plan
from streetorder.edge.runtime.reference_store import ReferenceFiles
from streetorder.edge.runtime.storage import lock_storage, prune_evidence, storage_dir
from streetorder.edge.runtime.worker import (
    CameraWorker,
    Pipeline,
    PipelineMessage,
)
from streetorder.edge.transport.mqtt import Drainer, MqttLink
from streetorder.edge.transport.queue import SENT, Outbox, OutboxFullError
from streetorder.edge.transport.receipts import outbox_id
from streetorder.edge.transport.uploader import EvidenceUploader
from streetorder.errors import ConfigError, StreetorderError

log = logging.getLogger(__name__)


class EdgeNode:
    def __init__(
        self,
        config: EdgeNodeConfig,
        *,
        base_dir: Path | None = None,
        runtime: RuntimeFactory | None = None,
        stop: threading.Event | None = None,
        backoff_cap: float = 30.0,
        config_path: Path | None = None,
    ) -> None:
        self.config = config
        self.config_path = config_path
        self.node_id = config.node_id
        self.base_dir = base_dir or Path.cwd()
        self.storage = storage_dir(config, self.base_dir)
        self.stop_event = stop or threading.Event()
        self.backoff_cap = backoff_cap
        self._runtime_factory = runtime
        self.cameras: tuple[CameraConfig, ...] = config.cameras
        self.revision = 0
        #: model versions the platform assigned (the active push's); empty: the node's own
        self.models = ModelAssignment()
        self._plan: Plan | None = None
        self.workers: dict[str, CameraWorker] = {}
        self.outbox: Outbox | None = None
        self.episodes: EpisodeStore | None = None
        self.link: MqttLink | None = None
        self.drainer: Drainer | None = None
        self.uploader: EvidenceUploader | None = None
        self.runtime: Runtime | None = None
        self._pushes: queue.SimpleQueue[bytes] = queue.SimpleQueue()
        self._started_at = time.monotonic()
        self._undo: list[tuple[str, Callable[[], None]]] = []
        self._store = ActiveConfigStore(self.storage / "active_config.json")
        self._anchors = FileAnchors(self.storage / "file_anchors.json")
        self._steps: list[tuple[str, Callable[[], Callable[[], None] | None]]] = [
            ("storage", self._open_storage),
            ("active config", self._load_active_config),
            ("detector", self._load_runtime),
            ("delivered models", self._restore_models),
            ("model classes", self._check_model_classes),
            ("mqtt", self._start_mqtt),
            ("uploader", self._start_uploader),
            ("cameras", self._start_cameras),
            ("metrics", self._start_metrics),
        ]
        self.metrics_server: MetricsServer | None = None

    # -- life cycle ------------------------------------------------------------------------

    def run(self) -> None:
        """Start, serve until the stop event is set, stop."""
        self.start()
        try:
            self._serve()
        finally:
            self.stop()

    def start(self) -> None:
        for name, step in self._steps:
            log.debug("start: %s", name)
            try:
                undo = step()
            except BaseException as exc:
                # a StreetorderError is reported by the command as one line; say no more here
                level = logging.DEBUG if isinstance(exc, StreetorderError) else logging.ERROR
                log.log(level, "start step %r failed; undoing the steps before it", name)
                self.stop()
                raise
            if undo is not None:
                self._undo.append((name, undo))
        log.info(
            "edge node %s running: %d camera(s), config revision %d",
            self.node_id,
            len(self.cameras),
            self.revision,
        )

    def stop(self) -> None:
        self.stop_event.set()
        while self._undo:
            name, undo = self._undo.pop()
            log.debug("stop: %s", name)
            try:
                undo()
            except Exception:
                log.exception("stop step %r failed", name)

    def _serve(self) -> None:
        next_beat = next_prune = time.monotonic()
        while not self.stop_event.is_set():
            try:
                payload = self._pushes.get(timeout=0.2)
            except queue.Empty:
                pass
            else:
                self.handle_push(payload)
            if time.monotonic() >= next_beat:
                self.send_heartbeat()
                next_beat = time.monotonic() + self.config.heartbeat_seconds
            if time.monotonic() >= next_prune:
                self.prune_evidence()
                next_prune = time.monotonic() + 3600

    def prune_evidence(self) -> int:
        """Apply ``storage.evidence_retention_days``, never to files still waiting for upload."""
        pending = self.uploader.pending_files() if self.uploader is not None else set()
        try:
            return prune_evidence(
                self.storage / "evidence", self.config.storage.evidence_retention_days, pending
            )
        except OSError:
            log.exception("evidence retention failed")
            return 0

    # -- steps -----------------------------------------------------------------------------

    def _open_storage(self) -> Callable[[], None]:
        release = lock_storage(self.storage)
        max_bytes = self.config.storage.queue_max_mb * 1024 * 1024
        try:
            self.outbox = Outbox(self.storage / "outbox.db", max_bytes=max_bytes)
            self.episodes = EpisodeStore(self.storage / "episodes.db")
        except BaseException:
            if self.outbox is not None:
                self.outbox.close()
            release()
            raise
        outbox, episodes = self.outbox, self.episodes

        def close() -> None:
            episodes.close()
            outbox.close()
            release()

        return close

    def _load_active_config(self) -> None:
        active = self._store.load(self.node_id)
        if active is not None:
            log.info(
                "using the pushed config revision %d from %s", active.revision, self._store.path
            )
            self.cameras, self.revision = active.cameras, active.revision
            self.models = active.models

    def _load_runtime(self) -> Callable[[], None]:
        factory = self._runtime_factory
        if factory is None:
            from streetorder.edge.runtime.default import default_runtime

            factory = default_runtime
        self.runtime = factory(self.config, self.base_dir)
        return self.runtime.close

    def _restore_models(self) -> None:
        """Load the model versions of the active push again (from the node's model folder, or
        downloaded); if that fails, the cameras run the node's own model, and heartbeats say so."""
        assert self.runtime is not None
        switch = self.runtime.models
        if switch is None or (self.models.node is None and not self.models.cameras):
            return
        try:
            switch.commit(switch.prepare(self.models, self.cameras))
        except ValueError as exc:
            log.error(
                "the assigned model versions cannot run (%s); using the node's own model", exc
            )

    def _check_model_classes(self) -> None:
        """Refuse to start when a zone asks for a class the model does not report."""
        assert self.runtime is not None
        source = self._store.path if self.revision else self.config_path or "the node config"
        if self.runtime.models is not None:
            problem = self.runtime.models.class_problem(self.cameras)
        elif not self.runtime.class_names:
            return  # a runtime that does not say (tests, benches)
        else:
            problem = zone_class_problem(
                self.cameras, self.runtime.class_names, self.runtime.model_classes
            )
        if problem:
            raise ConfigError(f"{source}: {problem}")

    def _start_mqtt(self) -> Callable[[], None] | None:
        if self.config.broker is None:
            log.warning("no broker configured: alerts stay in %s", self.storage / "outbox.db")
            return None
        assert self.outbox is not None
        self.link = MqttLink(self.config.broker, self.node_id, on_config=self._pushes.put)
        self.drainer = Drainer(self.outbox, self.link, self.stop_event)
        self.link.start()
        self.drainer.start()

        def stop() -> None:
            assert self.link is not None and self.drainer is not None
            self.drainer.join(5)
            self.link.stop()

        return stop

    def _start_uploader(self) -> Callable[[], None] | None:
        platform = self.config.platform
        if platform.url is None:
            return None
        self.uploader = EvidenceUploader(
            self.storage / "outbox.db",
            platform.url,
            platform.token,
            timeout=platform.upload_timeout_seconds,
        )
        self.uploader.start(self.stop_event)

        def stop() -> None:
            assert self.uploader is not None
            self.uploader.join(platform.upload_timeout_seconds + 1)
            self.uploader.close()

        return stop

    def _start_cameras(self) -> Callable[[], None]:
        self._retain_episodes()
        for camera in self.cameras:
            self._start_worker(camera)
        return self._stop_all_workers

    # -- cameras ---------------------------------------------------------------------------

    def _start_worker(self, camera: CameraConfig) -> None:
        assert self.runtime is not None
        worker = CameraWorker(
            camera,
            self.runtime.open_source,
            self._make_pipeline,
            self.emit,
            backoff_cap=self.backoff_cap,
            realtime_files=self.config.realtime_files,
            file_anchor=self._anchors,
            health=self.config.camera_health,
        )
        self.workers[camera.id] = worker
        worker.start()

    def _make_pipeline(self, camera: CameraConfig) -> Pipeline:
        """The runtime's pipeline, given the camera's durable episode state and scene reference
        if it takes them."""
        assert self.runtime is not None
        pipeline = self.runtime.make_pipeline(camera)
        attach = getattr(pipeline, "attach_store", None)
        if callable(attach) and self.episodes is not None:
            attach(self.episodes.camera(camera.id))
        attach_reference = getattr(pipeline, "attach_reference_store", None)
        if callable(attach_reference):
            attach_reference(ReferenceFiles(self.storage / "reference").camera(camera.id))
        return pipeline

    def _retain_episodes(self) -> None:
        if self.episodes is not None:
            try:
                self.episodes.retain_cameras({c.id for c in self.cameras})
            except Exception:
                log.exception("episode store: cannot drop removed cameras")

    def _stop_workers(self, ids: list[str]) -> None:
        for cid in ids:
            self.workers[cid].stop()
        for cid in ids:
            if not self.workers[cid].join(10):
                log.warning("camera %s did not stop within 10 s (blocked read); abandoned", cid)
            del self.workers[cid]

    def _stop_all_workers(self) -> None:
        self._stop_workers(list(self.workers))

    def apply_cameras(self, cameras: tuple[CameraConfig, ...]) -> None:
        """Run exactly ``cameras``: stop removed or changed ones, start new or changed ones."""
        wanted = {c.id: c for c in cameras}
        changed = [cid for cid, w in self.workers.items() if wanted.get(cid) != w.camera]
        self._stop_workers(changed)
        for camera in cameras:
            if camera.id not in self.workers:
                self._start_worker(camera)
        self.cameras = cameras
        self._retain_episodes()

    # -- messages --------------------------------------------------------------------------

    def emit(self, camera: CameraConfig, messages: list[PipelineMessage]) -> None:
        """Called by camera workers: alerts and episode ends go to the durable outbox."""
        assert self.outbox is not None
        for message in messages:
            if isinstance(message, Alert):
                msg_id, topic = outbox_id("alert", message.alert_id), topics.alerts(self.node_id)
            elif isinstance(message, EpisodeEnd):
                msg_id = outbox_id("episode_end", message.alert_id)
                topic = topics.episodes(self.node_id)
            else:
                log.error("camera %s emitted an unexpected %r", camera.id, message)
                continue
            try:
                self.outbox.put(msg_id, topic, encode(message))
            except OutboxFullError:
                log.exception("camera %s: message %s lost: the outbox is full", camera.id, msg_id)
                continue
            if self.uploader is not None and message.evidence:  # an episode end's after-frame too
                assert self.runtime is not None
                files = [
                    (r, self.runtime.evidence_path(message, r.filename)) for r in message.evidence
                ]
                self.uploader.add(message.alert_id, files)

    def handle_push(self, payload: bytes) -> None:
        """Validate a config push; apply it (and persist it) or refuse it; acknowledge."""
        decision = decide(
            payload,
            node_id=self.node_id,
            active_revision=self.revision,
            now=datetime.now(UTC),
            check=self._check_push,
        )
        plan, self._plan = self._plan, None
        if decision.action == "ignore":
            log.debug("config push ignored: %s", decision.reason)
            return
        if decision.action == "apply":
            assert decision.push is not None
            try:
                self._store.save(decision.push)
            except OSError as exc:
                self._discard(plan)
                self._send_ack(
                    ConfigAck(
                        node_id=self.node_id,
                        revision=decision.push.revision,
                        accepted=False,
                        reason=f"cannot persist the config: {exc}",
                        active_revision=self.revision,
                        at=datetime.now(UTC),
                    )
                )
                return
            if plan is not None:
                assert self.runtime is not None and self.runtime.models is not None
                self.runtime.models.commit(plan)  # cameras kept switch between two frames
            self.models = decision.push.models
            self.apply_cameras(decision.push.cameras)
            self.revision = decision.push.revision
            log.info("config revision %d applied: %d camera(s)", self.revision, len(self.cameras))
        else:
            self._discard(plan)
            log.warning("config push refused: %s", decision.reason)
        assert decision.ack is not None
        self._send_ack(decision.ack)

    def _check_push(self, push: ConfigPush) -> None:
        """Refuse (ValueError) a push the node cannot run; its models are loaded and checked
        here and kept for :meth:`handle_push` to switch to."""
        if self.runtime is None:
            return
        if self.runtime.models is not None:
            try:
                self._plan = self.runtime.models.prepare(push.models, push.cameras)
            except ValueError as exc:
                raise ValueError(f"config revision {push.revision}: {exc}") from None
        elif push.models.node is not None or push.models.cameras:
            raise ValueError("this node's runtime cannot switch models")
        elif self.runtime.class_names:
            check_push_classes(push, self.runtime.class_names, self.runtime.model_classes)

    def _discard(self, plan: Plan | None) -> None:
        if plan is not None and self.runtime is not None and self.runtime.models is not None:
            self.runtime.models.discard(plan)

    def _send_ack(self, ack: ConfigAck) -> None:
        assert self.outbox is not None
        msg_id = f"config-ack-{ack.revision}-{uuid.uuid4().hex[:8]}"
        self.outbox.put(msg_id, topics.config_ack(self.node_id), encode(ack))

    # -- heartbeat -------------------------------------------------------------------------

    def heartbeat(self) -> Heartbeat:
        assert self.runtime is not None and self.outbox is not None
        stats = [self.workers[c.id].stats() for c in self.cameras if c.id in self.workers]
        models = self.runtime.models
        if models is not None:
            stats = [s.model_copy(update={"model": models.running(s.camera_id)}) for s in stats]
        return Heartbeat(
            node_id=self.node_id,
            sent_at=datetime.now(UTC),
            uptime_seconds=round(time.monotonic() - self._started_at, 3),
            model=models.node_model.info if models is not None else self.runtime.model,
            queue_length=len(self.outbox),
            queue_dropped=self.outbox.dropped_total,
            queue_awaiting_receipt=self.outbox.count(SENT),
            config_revision=self.revision,
            cameras=tuple(stats),
        )

    def metrics_view(self) -> dict[str, Any]:
        """What ``/metrics`` and ``/readyz`` read (edge/runtime/metrics.py)."""
        beat = self.heartbeat()
        running = {c.camera_id: c for c in beat.cameras}
        cameras = []
        for camera_id, worker in list(self.workers.items()):
            pipeline = worker.pipeline
            model = running[camera_id].model if camera_id in running else None
            cameras.append({
                "camera": camera_id, "state": worker.state, "frames": worker.frames_total,
                "analysis_seconds": worker.analysis_seconds_total,
                "detector_seconds": getattr(pipeline, "detect_seconds_total", 0.0),
                "lag_seconds": worker.lag_seconds, "source_errors": worker.source_errors,
                "reconnects": worker.reconnects, "pipeline_errors": worker.pipeline_errors,
                "open_episodes": getattr(pipeline, "open_episodes", 0),
                "model": {"name": model.name, "version": model.version} if model else None,
            })  # fmt: skip
        assert self.outbox is not None
        return {
            "outbox_messages": beat.queue_length,
            "outbox_awaiting_receipt": beat.queue_awaiting_receipt,
            "outbox_oldest_seconds": self.outbox.oldest_age(),
            "outbox_dropped": beat.queue_dropped,
            "uploads_pending": self.uploader.pending() if self.uploader is not None else 0,
            "broker_connected": self.link.connected.is_set() if self.link is not None else None,
            "cameras": cameras,
        }

    def _start_metrics(self) -> Callable[[], None] | None:
        listen = self.config.metrics
        if listen is None:
            return None
        self.metrics_server = MetricsServer(self, listen.host, listen.port)
        self.metrics_server.start()
        return self.metrics_server.stop

    def send_heartbeat(self) -> None:
        beat = self.heartbeat()
        if self.link is not None and self.link.connected.is_set():
            self.link.publish(topics.stats(self.node_id), encode(beat), qos=0)
        log.debug(
            "heartbeat: queue %d, cameras %s",
            beat.queue_length,
            ", ".join(f"{c.camera_id}={c.state}" for c in beat.cameras),
        )
