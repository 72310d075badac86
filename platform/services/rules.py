"""The configured rules the services apply (built once from the settings)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from streetorder.platform.domain.penalty import PenaltyRules
from streetorder.platform.domain.workflow import Limits, Workflow
from streetorder.platform.security import TokenSigner
from streetorder.platform.settings import PlatformSettings, StreetDispatch


@dataclass(frozen=True)
class DispatchPolicy:
    """A street's policy: dispatch at once, or notify first and wait ``grace``."""

    notify_first: bool = False
    grace: timedelta = timedelta(hours=1)

    @classmethod
    def from_settings(cls, street: StreetDispatch) -> DispatchPolicy:
        return cls(street.dispatch == "notify_first", timedelta(minutes=street.grace_minutes))


@dataclass(frozen=True)
class Rules:
    workflow: Workflow
    tz: ZoneInfo
    exemption_enabled: bool
    lookback_days: int
    penalty: PenaltyRules
    public_url: str
    sms_sign: str
    sms_provider: str
    sms_max_attempts: int
    sms_backoff_seconds: float
    sms_backoff_factor: float
    rectify_hours: float
    signer: TokenSigner
    default_dispatch: DispatchPolicy = DispatchPolicy()
    street_dispatch: dict[str, DispatchPolicy] = field(default_factory=dict)

    def dispatch_policy(self, street_code: str | None) -> DispatchPolicy:
        """The policy of a street (by code); the default for others and for no street."""
        return self.street_dispatch.get(street_code or "", self.default_dispatch)

    @classmethod
    def from_settings(cls, settings: PlatformSettings) -> Rules:
        lim = settings.time_limits
        limits = Limits(
            review=timedelta(hours=lim.review_hours),
            rectify=timedelta(hours=lim.rectify_hours),
            verify=timedelta(hours=lim.verify_hours),
            extension=timedelta(hours=lim.extension_hours),
            max_extensions=lim.max_extensions,
            payment_days=lim.payment_days,
        )
        pen = settings.penalty
        return cls(
            workflow=Workflow(limits, settings.tz),
            tz=settings.tz,
            exemption_enabled=settings.exemption.enabled,
            lookback_days=settings.exemption.lookback_days,
            penalty=PenaltyRules(
                min_fine_cents=pen.min_fine_cny * 100,
                max_fine_cents=pen.max_fine_cny * 100,
                default_fine_cents=pen.default_fine_cny * 100,
                surcharge_percent_per_day=pen.late_surcharge_percent_per_day,
                surcharge_cap_ratio=pen.surcharge_cap_ratio,
            ),
            public_url=settings.public_url.rstrip("/"),
            sms_sign=settings.sms.sign,
            sms_provider=settings.sms.provider,
            sms_max_attempts=settings.sms.max_attempts,
            sms_backoff_seconds=settings.sms.backoff_seconds,
            sms_backoff_factor=settings.sms.backoff_factor,
            rectify_hours=lim.rectify_hours,
            signer=TokenSigner(settings.secret_key),
            default_dispatch=DispatchPolicy.from_settings(settings.dispatch.default),
            street_dispatch={
                code: DispatchPolicy.from_settings(street)
                for code, street in settings.dispatch.streets.items()
            },
        )
