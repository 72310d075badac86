"""``replay --publish``: hand messages to the node's durable outbox and drain it to the broker."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from streetorder.contracts import Alert, EpisodeEnd, encode, topics
from streetorder.edge.config import EdgeNodeConfig
from streetorder.edge.transport.queue import QUEUED, SENT
from streetorder.edge.transport.receipts import outbox_id
from streetorder.errors import StreetorderError

log = logging.getLogger(__name__)


class OutboxPublisher:
    """Messages go to ``<storage>/outbox.db`` (as ``edge run`` does) and out over MQTT.

    With ``platform.url`` configured, the evidence files of each alert and episode end (found in
    ``evidence_dir``) are queued for upload too, so recorded footage can drive the whole system.
    """

    def __init__(
        self, config: EdgeNodeConfig, storage_dir: Path, evidence_dir: Path | None = None
    ) -> None:
        from streetorder.edge.transport.mqtt import Drainer, MqttLink
        from streetorder.edge.transport.queue import Outbox
        from streetorder.edge.transport.uploader import EvidenceUploader

        if config.broker is None:
            raise StreetorderError("--publish needs a 'broker' section in the config")
        self.node_id = config.node_id
        self.outbox = Outbox(storage_dir / "outbox.db")
        self.stop_event = threading.Event()
        self.link = MqttLink(config.broker, config.node_id)
        self.drainer = Drainer(self.outbox, self.link, self.stop_event)
        self.link.start()
        self.drainer.start()
        self.evidence_dir = evidence_dir
        self.uploader: EvidenceUploader | None = None
        if config.platform.url and evidence_dir is not None:
            self.uploader = EvidenceUploader(
                storage_dir / "uploads.db",
                config.platform.url,
                config.platform.token,
                timeout=config.platform.upload_timeout_seconds,
                backoff_base=0.5,
                backoff_max=5.0,
            )
            self.uploader.start(self.stop_event)

    def __call__(self, message: Alert | EpisodeEnd) -> None:
        if isinstance(message, Alert):
            msg_id, topic = outbox_id("alert", message.alert_id), topics.alerts(self.node_id)
        else:
            msg_id = outbox_id("episode_end", message.alert_id)
            topic = topics.episodes(self.node_id)
        self.outbox.put(msg_id, topic, encode(message))
        if self.uploader is not None and self.evidence_dir:  # an episode end's after-frame too
            files = [(ref, self.evidence_dir / ref.filename) for ref in message.evidence]
            self.uploader.add(message.alert_id, files)

    def close(self, timeout: float = 30.0) -> int:
        """Wait up to ``timeout`` s for the broker to acknowledge all (and, once the platform
        answers at all, for its receipts); return how many the broker has not acknowledged."""
        deadline = time.monotonic() + timeout
        while self._waiting() and time.monotonic() < deadline:
            time.sleep(0.1)
        left = self.outbox.count(QUEUED)
        if left:
            log.warning(
                "%d message(s) not yet acknowledged; they stay in %s", left, self.outbox.path
            )
        if self.outbox.count(SENT):
            log.warning(
                "%d message(s) without the platform's receipt; re-sent on the next run from %s",
                self.outbox.count(SENT),
                self.outbox.path,
            )
        if self.uploader is not None and self.uploader.pending():
            log.warning(
                "%d evidence upload(s) pending; they resume on the next run",
                self.uploader.pending(),
            )
        self.stop_event.set()
        self.drainer.join(5)
        if self.uploader is not None:
            self.uploader.join(5)
            self.uploader.close()
        self.link.stop()
        self.outbox.close()
        return left

    def _waiting(self) -> bool:
        uploads = self.uploader.pending() if self.uploader is not None else 0
        receipts = self.drainer.receipted_total and self.outbox.count(SENT)
        return bool(self.outbox.count(QUEUED) or receipts or uploads)
