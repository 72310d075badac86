"""Where evidence bytes live: a small interface, the filesystem by default.

An object store (S3, OSS, MinIO) implements the same methods. Keys are write-once: ``put`` of
the same bytes again is a no-op (an uploader's retry), of other bytes it raises
:class:`KeyExistsError` and the first file stays (an object store: a conditional put). Large
uploads are staged (:meth:`FileSystemStore.stage`: written, counted and hashed chunk by chunk)
and then put under their key, so no upload is ever held in memory whole. ``delete`` is for the
retention job only.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Protocol

_KEY = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")


def check_key(key: str) -> str:
    """Keys are relative paths of safe characters (no ``..``), on every store."""
    if not _KEY.match(key) or ".." in key.split("/"):
        raise ValueError(f"invalid storage key {key!r}")
    return key


class KeyExistsError(Exception):
    """The key already holds other bytes; stored evidence is never overwritten."""


class StagedUpload:
    """An upload being received: appended to a temporary file, counted and hashed on the way."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=directory, prefix=".upload-")
        self.path = Path(name)
        self._file = os.fdopen(fd, "wb")
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self._file.write(chunk)
        self._hash.update(chunk)
        self.size += len(chunk)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def finish(self) -> None:
        """Flush to disk (before the file is put under its key)."""
        if not self._file.closed:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()

    def read(self) -> bytes:
        self.finish()
        return self.path.read_bytes()

    def discard(self) -> None:
        if not self._file.closed:
            self._file.close()
        self.path.unlink(missing_ok=True)


class EvidenceStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def stage(self) -> StagedUpload: ...

    def put_staged(self, key: str, staged: StagedUpload) -> None: ...

    def delete(self, key: str) -> bool: ...


class FileSystemStore:
    """Files under one root; writes are atomic and write-once (temporary file, fsync, then a
    hard link to the key, which fails if the key exists)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

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

    def stage(self) -> StagedUpload:
        """A temporary file on the store's file system (so putting it is a hard link)."""
        return StagedUpload(self.root / ".staging")

    def put_staged(self, key: str, staged: StagedUpload) -> None:
        """Put a staged upload under ``key``, with ``put``'s write-once rule."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        staged.finish()
        try:
            os.link(staged.path, path)
        except FileExistsError:
            if _file_sha256(path) != staged.sha256:
                raise KeyExistsError(f"{key} already holds other content") from None

    def delete(self, key: str) -> bool:
        """Remove a stored file (retention); False if it was not there."""
        path = self._path(key)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def make_store(evidence: Any) -> EvidenceStore:
    """The store ``evidence`` settings name (``platform.settings.EvidenceSettings``)."""
    if evidence.backend == "s3":
        from streetorder.platform.object_store import S3Store

        s3 = evidence.s3
        return S3Store(
            bucket=s3.bucket, endpoint_url=s3.endpoint_url, region=s3.region,
            access_key_id=s3.access_key_id, secret_access_key=s3.secret_access_key,
            prefix=s3.prefix, staging_dir=str(Path(evidence.dir) / ".staging"),
            multipart_threshold_mb=s3.multipart_threshold_mb,
        )  # fmt: skip
    return FileSystemStore(usable_dir(evidence.dir, "evidence.dir"))


def usable_dir(path: str | Path, key: str) -> Path:
    """``path``, created if missing and checked writable: a server must not start and then fail
    on its first evidence upload. Raises ConfigError naming ``key`` and the folder."""
    from streetorder.errors import ConfigError

    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise ConfigError(f"{key}: {folder}: cannot use it: {exc.strerror or exc}") from None
    return folder
