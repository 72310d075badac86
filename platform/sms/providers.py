"""SMS providers. ``send`` returns the provider's message id or raises :class:`SmsSendError`."""

from __future__ import annotations

from typing import Protocol

import httpx


class SmsSendError(Exception):
    """A send failed; ``retryable`` says whether trying again later may help."""

    def __init__(self, reason: str, *, retryable: bool = True) -> None:
        super().__init__(reason)
        self.retryable = retryable


class SmsProvider(Protocol):
    name: str

    def send(self, *, mobile: str, text: str, reference: str) -> str: ...


class OutboxProvider:
    """Sends nothing: the stored message is the outbox (shown in the console and the API)."""

    name = "outbox"

    def send(self, *, mobile: str, text: str, reference: str) -> str:
        return f"outbox-{reference}"


class HttpGatewayProvider:
    """A generic JSON gateway: ``POST url {"to", "text", "reference"}`` with a bearer key.

    2xx with ``{"id": ...}`` is success; 4xx (except 408/429) is permanent; anything else retries.
    """

    name = "http"

    def __init__(self, url: str, api_key: str | None, timeout_seconds: float = 10.0) -> None:
        self.url = url
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(timeout=timeout_seconds, headers=headers)

    def send(self, *, mobile: str, text: str, reference: str) -> str:
        try:
            response = self._client.post(
                self.url, json={"to": mobile, "text": text, "reference": reference}
            )
        except httpx.HTTPError as exc:
            raise SmsSendError(f"gateway unreachable: {exc}") from None
        if response.is_success:
            try:
                return str(response.json().get("id") or reference)
            except ValueError:
                return reference
        retryable = response.status_code >= 500 or response.status_code in (408, 429)
        raise SmsSendError(
            f"gateway answered {response.status_code}: {response.text[:200]}", retryable=retryable
        )

    def close(self) -> None:
        self._client.close()


def make_provider(settings) -> SmsProvider:  # settings: PlatformSettings
    if settings.sms.provider == "http":
        http = settings.sms.http
        return HttpGatewayProvider(http.url, http.api_key, http.timeout_seconds)
    return OutboxProvider()
