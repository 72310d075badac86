"""Evidence on S3-compatible object storage (AWS S3, MinIO, Ceph RGW, Alibaba OSS, Tencent COS).

The same write-once contract as :class:`~streetorder.platform.storage.FileSystemStore`:

- ``put`` is a conditional PUT (``If-None-Match: *``): the first bytes under a key stay. When
  the key exists, the stored sha256 decides: the same bytes again (an uploader's retry) is a
  no-op, other bytes raise :class:`KeyExistsError`.
- Every object carries its sha256 as metadata (``x-amz-meta-sha256``) and as the S3 checksum,
  so the server verifies the bytes it received; ``get`` verifies them again on the way out.
- Staged uploads (clips) go up as multipart uploads above ``multipart_threshold_mb``.
- ``url`` signs a time-limited GET link for the console and the merchant's evidence page.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
from typing import Any

from streetorder.platform.storage import KeyExistsError, StagedUpload, check_key


class IntegrityError(Exception):
    """An object's bytes do not match the sha256 recorded when it was written."""


class S3Store:
    def __init__(
        self, *, bucket: str, endpoint_url: str | None = None, region: str = "us-east-1",
        access_key_id: str | None = None, secret_access_key: str | None = None,
        prefix: str = "", staging_dir: str = "var/s3-staging",
        multipart_threshold_mb: float = 8.0, client: Any = None,
    ) -> None:  # fmt: skip
        import boto3  # the s3 extra: only a platform that stores evidence in S3 needs it
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.staging_dir = staging_dir
        self.client = client or boto3.client(
            "s3", endpoint_url=endpoint_url, region_name=region,
            aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key,
            config=Config(retries={"max_attempts": 5, "mode": "standard"},
                          signature_version="s3v4", s3={"addressing_style": "path"}),
        )  # fmt: skip
        threshold = int(multipart_threshold_mb * 1024 * 1024)
        self.transfer = TransferConfig(multipart_threshold=threshold, multipart_chunksize=threshold)

    def _key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    # -- writing ---------------------------------------------------------------------------

    def put(self, key: str, data: bytes) -> None:
        digest = hashlib.sha256(data)
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=self._key(key), Body=data, IfNoneMatch="*",
                Metadata={"sha256": digest.hexdigest()}, ContentType=content_type(key),
                ChecksumSHA256=base64.b64encode(digest.digest()).decode(),
            )  # fmt: skip
        except self.client.exceptions.ClientError as exc:
            if not _precondition_failed(exc):
                raise
            self._same_or_raise(key, digest.hexdigest())

    def stage(self) -> StagedUpload:
        from pathlib import Path

        return StagedUpload(Path(self.staging_dir))

    def put_staged(self, key: str, staged: StagedUpload) -> None:
        """Upload a staged file (multipart when large) under ``key``, write-once.

        Multipart uploads cannot all be made conditional on every S3 implementation, so the key
        is checked first and the sha256 after: a concurrent writer of other bytes is caught by
        the check after the upload, which then raises and leaves the first bytes in place.
        """
        staged.finish()
        target = self._key(key)
        if self.exists(key):
            self._same_or_raise(key, staged.sha256)
            return
        with open(staged.path, "rb") as body:
            self.client.upload_fileobj(
                body, self.bucket, target, Config=self.transfer,
                ExtraArgs={"Metadata": {"sha256": staged.sha256}, "ContentType": content_type(key)},
            )  # fmt: skip
        self._same_or_raise(key, staged.sha256)

    def delete(self, key: str) -> bool:
        existed = self.exists(key)
        if existed:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        return existed

    # -- reading ---------------------------------------------------------------------------

    def get(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except self.client.exceptions.NoSuchKey:
            raise FileNotFoundError(key) from None
        data = response["Body"].read()
        recorded = response.get("Metadata", {}).get("sha256")
        if recorded and hashlib.sha256(data).hexdigest() != recorded:
            raise IntegrityError(f"{key}: stored bytes do not match their sha256 {recorded}")
        return data

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def url(self, key: str, *, expires_seconds: int = 600) -> str:
        """A signed GET link, valid for ``expires_seconds``."""
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self._key(key)},
            ExpiresIn=expires_seconds,
        )  # fmt: skip

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except self.client.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def _same_or_raise(self, key: str, sha256: str) -> None:
        head = self._head(key)
        stored = (head or {}).get("Metadata", {}).get("sha256")
        if stored != sha256:
            raise KeyExistsError(f"{key} already holds other content")


def content_type(key: str) -> str:
    """What a browser following a signed link needs to show the file (image, clip)."""
    return mimetypes.guess_type(key)[0] or "application/octet-stream"


def _precondition_failed(exc: Any) -> bool:
    error = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return error.get("Code") in ("PreconditionFailed", "412") or status == 412
