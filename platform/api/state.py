"""Everything a request may need, built once per app by :func:`create_app`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from streetorder.platform.db import Database
from streetorder.platform.services.edge_config import Publisher
from streetorder.platform.services.rules import Rules
from streetorder.platform.settings import PlatformSettings
from streetorder.platform.sms.providers import SmsProvider
from streetorder.platform.storage import EvidenceStore


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class PlatformState:
    settings: PlatformSettings
    db: Database
    rules: Rules
    store: EvidenceStore
    sms_provider: SmsProvider
    publisher: Publisher | None = None
    clock: Callable[[], datetime] = system_clock
    ingest_stats: Callable[[], dict[str, Any]] | None = None
    extras: dict[str, Any] = field(default_factory=dict)
