"""What every route needs, built once per app: database, rules, evidence store, clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import Request

from streetorder.mobile_api.domain.clock import Clock, system_clock
from streetorder.mobile_api.settings import MobileSettings
from streetorder.platform.db.session import Database
from streetorder.platform.security import TokenSigner
from streetorder.platform.services.rules import Rules
from streetorder.platform.settings import PlatformSettings
from streetorder.platform.storage import EvidenceStore, make_store


@dataclass(frozen=True)
class MobileContext:
    db: Database
    settings: PlatformSettings
    mobile: MobileSettings
    rules: Rules
    store: EvidenceStore
    signer: TokenSigner
    clock: Clock

    @classmethod
    def build(
        cls,
        settings: PlatformSettings,
        db: Database,
        *,
        mobile: MobileSettings | None = None,
        store: EvidenceStore | None = None,
        clock: Clock = system_clock,
    ) -> MobileContext:
        rules = Rules.from_settings(settings)
        return cls(
            db=db,
            settings=settings,
            mobile=mobile or MobileSettings(),
            rules=rules,
            store=store or make_store(settings.evidence),
            signer=rules.signer,
            clock=clock,
        )

    def now(self) -> datetime:
        return self.clock()


def get_context(request: Request) -> MobileContext:
    return request.app.state.mobile
