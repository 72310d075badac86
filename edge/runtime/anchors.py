"""Stable clocks for video-file cameras, so a restarted node gives the same alert ids.

A recorded video played as a camera has no wall clock of its own: the node anchors second 0
of the file at the wall time it was first played, and keeps that anchor in
``{storage}/file_anchors.json``. After a restart the file plays again on the *same* clock: the
part already seen is re-analysed at full speed (it lies in the past), the episodes get the same
stable ids, and the outbox/subscriber see duplicates rather than new alerts.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from streetorder.contracts import CameraConfig


class FileAnchors:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            self._anchors = {str(k): float(v) for k, v in raw.items()}
        except (FileNotFoundError, ValueError, AttributeError):
            self._anchors = {}

    def __call__(self, camera: CameraConfig) -> float:
        """The wall time (POSIX seconds) of second 0 of this camera's file."""
        key = f"{camera.id}|{camera.source}"
        with self._lock:
            if key not in self._anchors:
                self._anchors[key] = time.time()
                self._save()
            return self._anchors[key]

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self._anchors, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
