"""Where evidence bytes live: a small interface, the filesystem by default.

An object store (S3, OSS, MinIO) implements the same three methods. Keys are write-once:
``put`` of the same bytes again is a no-op (an uploader's retry), of other bytes it raises
:class:`KeyExistsError` and the first file stays (an object store: a conditional put).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

_KEY = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")


class KeyExistsError(Exception):
    """The key already holds other bytes; stored evidence is never overwritten."""


class EvidenceStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...


class FileSystemStore:
    """Files under one root; writes are atomic and write-once (temporary file, fsync, then a
    hard link to the key, which fails if the key exists)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not _KEY.match(key) or ".." in key.split("/"):
            raise ValueError(f"invalid storage key {key!r}")
        return self.root / key

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(tmp, path)
            except FileExistsError:
                if path.read_bytes() != data:
                    raise KeyExistsError(f"{key} already holds other content") from None
        finally:
            Path(tmp).unlink(missing_ok=True)

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()
