"""Model files delivered by the platform: downloaded over HTTP with the node's token, checked
against the sha256 of the push, kept under ``{storage}/models/{sha256}.onnx`` (so a rollback to
a version the node had needs no download)."""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urljoin

from streetorder.contracts import ModelRef
from streetorder.errors import StreetorderError

CHUNK = 1 << 20


class ModelFiles:
    def __init__(
        self, folder: Path, platform_url: str | None, token: str | None, timeout: float = 60.0
    ) -> None:
        self.folder = folder
        self.platform_url = platform_url
        self.token = token
        self.timeout = timeout

    def path(self, ref: ModelRef) -> Path:
        return self.folder / f"{ref.sha256}.onnx"

    def fetch(self, ref: ModelRef) -> Path:
        """The checked local file of ``ref``, downloaded when the node does not have it yet.

        Raises:
            StreetorderError: the download failed or its bytes are not the ones announced.
        """
        path = self.path(ref)
        if path.is_file() and _sha256(path) == ref.sha256:
            return path
        url = self._url(ref)
        self.folder.mkdir(parents=True, exist_ok=True)
        part = path.with_suffix(".part")
        request = urllib.request.Request(url)
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        digest, size = hashlib.sha256(), 0
        try:
            with (
                urllib.request.urlopen(request, timeout=self.timeout) as answer,
                open(part, "wb") as out,
            ):
                while chunk := answer.read(CHUNK):
                    size += len(chunk)
                    if size > ref.size_bytes:
                        raise StreetorderError(
                            f"download of {ref.name} {ref.version}: more than the announced "
                            f"{ref.size_bytes} bytes"
                        )
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except urllib.error.HTTPError as exc:
            part.unlink(missing_ok=True)
            detail = exc.read(300).decode("utf-8", "replace").strip()
            raise StreetorderError(
                f"download of {ref.name} {ref.version} from {url}: HTTP {exc.code} {detail}"
            ) from None
        except (OSError, urllib.error.URLError) as exc:
            part.unlink(missing_ok=True)
            reason = getattr(exc, "reason", exc)
            raise StreetorderError(
                f"download of {ref.name} {ref.version} from {url} failed: {reason}"
            ) from None
        except StreetorderError:
            part.unlink(missing_ok=True)
            raise
        if digest.hexdigest() != ref.sha256:
            part.unlink(missing_ok=True)
            raise StreetorderError(
                f"download of {ref.name} {ref.version}: sha256 {digest.hexdigest()[:16]}… is not "
                f"the announced {ref.sha256[:16]}…"
            )
        os.replace(part, path)
        return path

    def _url(self, ref: ModelRef) -> str:
        if ref.url.startswith(("http://", "https://")):
            return ref.url
        if not self.platform_url:
            raise StreetorderError(
                f"model {ref.name} {ref.version}: platform.url is not set, nowhere to download "
                f"{ref.url} from"
            )
        return urljoin(self.platform_url.rstrip("/") + "/", ref.url.lstrip("/"))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
