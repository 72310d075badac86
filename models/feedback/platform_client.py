"""The platform's JSON API as the models part uses it: log in, read reviewed frames, download
evidence (stdlib ``urllib``; the models part never imports the platform)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import date
from typing import Any

from streetorder.errors import StreetorderError

API = "/api/v1"
PAGE = 500


class MissingFile(KeyError):
    """An evidence file the platform lists but cannot serve (deleted from its store)."""


class _NotFound(StreetorderError):
    pass


class PlatformClient:
    def __init__(self, url: str, *, timeout: float = 60.0) -> None:
        self.url, self.timeout = url.rstrip("/"), timeout
        self.token: str | None = None

    def login(self, username: str, password: str) -> None:
        body = json.dumps({"username": username, "password": password}).encode()
        data = self._request(f"{API}/auth/login", body=body)
        self.token = json.loads(data)["access_token"]

    def reviewed_frames(self, *, since: date | None = None) -> list[dict[str, Any]]:
        """Every reviewed frame (``GET /api/v1/reviews/frames``, all pages)."""
        out: list[dict[str, Any]] = []
        while True:
            query: dict[str, Any] = {"offset": len(out), "limit": PAGE}
            if since is not None:
                query["since"] = since.isoformat()
            page = json.loads(
                self._request(f"{API}/reviews/frames?{urllib.parse.urlencode(query)}")
            )
            out += page["data"]
            if not page["data"] or len(out) >= page["count"]:
                return out

    def evidence(self, file_id: int) -> bytes:
        """The file's bytes; :class:`MissingFile` when the platform no longer has them."""
        try:
            return self._request(f"{API}/evidence/{file_id}")
        except _NotFound as exc:
            raise MissingFile(file_id) from exc

    def _request(self, path: str, *, body: bytes | None = None) -> bytes:
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url + path, data=body, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                raise _NotFound(f"{self.url}{path.split('?')[0]}: not found") from None
            raise StreetorderError(
                f"{self.url}{path.split('?')[0]}: the platform answered {exc.code} ({_detail(exc)})"
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise StreetorderError(f"cannot reach the platform at {self.url} ({reason})") from None


def _detail(exc: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(exc.read())["detail"])
    except (ValueError, KeyError, TypeError, OSError):
        return exc.reason or "no detail"
