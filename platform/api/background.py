"""Work that runs after a request's transaction has ended (FastAPI background tasks)."""

from __future__ import annotations

import logging

from streetorder.platform.api.state import PlatformState
from streetorder.platform.services import sms

log = logging.getLogger(__name__)


def deliver_sms(state: PlatformState) -> None:
    """Send the messages that are due now (the periodic job retries what fails)."""
    try:
        sms.deliver_due(state.db, provider=state.sms_provider, rules=state.rules, now=state.clock())
    except Exception:  # noqa: BLE001 - never fail a request here; the periodic job retries
        log.exception("SMS delivery failed")
