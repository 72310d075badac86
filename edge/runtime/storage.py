"""The node's storage folder: one running node per folder, and evidence retention."""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Callable, Collection
from pathlib import Path

from streetorder.edge.config import EdgeNodeConfig
from streetorder.errors import StreetorderError

log = logging.getLogger(__name__)


def storage_dir(config: EdgeNodeConfig, base_dir: Path) -> Path:
    """The node's storage folder (``storage.dir``; a relative one is under ``base_dir``)."""
    folder = config.storage.dir
    return folder if folder.is_absolute() else base_dir / folder


def evidence_dir(config: EdgeNodeConfig, base_dir: Path) -> Path:
    """Where the node's pipelines write evidence files."""
    return storage_dir(config, base_dir) / "evidence"


def lock_storage(storage: Path) -> Callable[[], None]:
    """Hold ``{storage}/node.lock`` for the node's lifetime; refuse a second node on it.

    Two nodes on one storage would share an outbox and fight over one MQTT client id.
    Returns the function that releases the lock. The OS releases it if the process dies.
    """
    storage.mkdir(parents=True, exist_ok=True)
    path = storage / "node.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StreetorderError(
            f"another edge node is already running with storage {storage} ({path} is locked)"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())

    def release() -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    return release


def prune_evidence(
    directory: Path, retention_days: float, keep: Collection[str], now: float | None = None
) -> int:
    """Delete evidence files older than the retention, except those named in ``keep``
    (still waiting for upload). Returns how many were deleted."""
    if not directory.is_dir():
        return 0
    cutoff = (now if now is not None else time.time()) - retention_days * 86400
    removed = 0
    for path in directory.iterdir():
        if not path.is_file() or path.name in keep:
            continue
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    if removed:
        log.info("evidence retention: removed %d file(s) from %s", removed, directory)
    return removed
