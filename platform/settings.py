"""The platform's settings: database, broker, SMS, time limits, exemption and penalty rules.

Every field has a default, so an empty file (or none) gives a working development platform on
SQLite. Secrets may come from the environment instead of the file:

| variable                          | overrides            |
|-----------------------------------|----------------------|
| ``STREETORDER_ENV``               | ``environment``      |
| ``STREETORDER_DATABASE_URL``      | ``database_url``     |
| ``STREETORDER_SECRET_KEY``        | ``secret_key``       |
| ``STREETORDER_SMS_API_KEY``       | ``sms.http.api_key`` |
| ``STREETORDER_BROKER_PASSWORD``   | ``broker.password``  |

Outside ``development`` a placeholder or short secret key is refused. The YAML file (these keys
plus the officer app's ``mobile:`` section) is read by :mod:`streetorder.server.settings`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, ValidationInfo, field_validator, model_validator

from streetorder.config.common import BrokerConfig, TimeZoneName
from streetorder.config.loader import validate_mapping
from streetorder.contracts.camera import Strict
from streetorder.platform.open311.settings import Open311Settings

PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "changethis", "secret", "dev"})
DEV_SECRET = "changeme"
#: Words of an example value left in place ("replace-with-a-long-random-secret", "<your key>").
PLACEHOLDER_WORDS = re.compile(
    r"change.?me|change.?this|replace|placeholder|example|your[-_ ]|[<>]|xxxx|todo", re.I
)
ENV_OVERRIDES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("STREETORDER_ENV", ("environment",)),
    ("STREETORDER_DATABASE_URL", ("database_url",)),
    ("STREETORDER_SECRET_KEY", ("secret_key",)),
    ("STREETORDER_SMS_API_KEY", ("sms", "http", "api_key")),
    ("STREETORDER_BROKER_PASSWORD", ("broker", "password")),
)


class IngestSettings(Strict):
    """How the MQTT consumer shares and batches work."""

    share_group: str = Field(
        "platform", pattern=r"^[A-Za-z0-9_-]+$", description="MQTT shared-subscription group."
    )
    batch_size: int = Field(200, ge=1, le=10000, description="Messages per database commit.")
    batch_wait_ms: int = Field(20, ge=0, le=5000, description="Wait to fill a batch.")
    keep_rejected_payload_bytes: int = Field(
        65536, ge=0, le=1024 * 1024, description="Bytes kept of a refused message (any bytes)."
    )
    max_clock_skew_seconds: int = Field(
        300, ge=0, le=24 * 3600, description="How far ahead of the platform's clock a message's "
        "time may be (the node's clock runs fast); later ones are refused.",
    )  # fmt: skip
    max_message_age_days: float = Field(
        30.0, gt=0, le=3650, description="How old a message's time may be (a node that was "
        "offline sends late); older ones are refused.",
    )  # fmt: skip
    persistent_session: bool = Field(
        True,
        description=(
            "Keep this replica's MQTT session while it is down, so the broker queues alerts for "
            "it. Its client id is broker.client_id, by default "
            "streetorder-platform-<share_group>-<host name>: give replicas on one host their own."
        ),
    )


class HttpGatewaySettings(Strict):
    url: str = Field("", description="POST endpoint of the SMS gateway (JSON body).")
    api_key: str | None = Field(None, description="Sent as a bearer token; use the env override.")
    timeout_seconds: float = Field(10.0, gt=0, le=120)


class SmsSettings(Strict):
    provider: Literal["outbox", "http"] = Field(
        "outbox", description="outbox: stored only (visible in the console); http: a gateway."
    )
    http: HttpGatewaySettings = HttpGatewaySettings()
    sign: str = Field("城管执法", description="Signature prefixed to every message, e.g. 【...】.")
    max_attempts: int = Field(5, ge=1, le=50)
    backoff_seconds: float = Field(30.0, gt=0, le=86400, description="Delay before the 1st retry.")
    backoff_factor: float = Field(2.0, ge=1, le=10)

    @model_validator(mode="after")
    def _gateway_needs_url(self) -> SmsSettings:
        if self.provider == "http" and not self.http.url:
            raise ValueError("sms.provider is 'http' but sms.http.url is empty")
        return self


class TimeLimits(Strict):
    """Time allowed for each step; a step past its limit shows a yellow light."""

    review_hours: float = Field(2.0, gt=0, le=720, description="Alert waiting for review.")
    rectify_hours: float = Field(24.0, gt=0, le=720, description="Order and correct (24 h).")
    verify_hours: float = Field(24.0, gt=0, le=720, description="Re-check after rectification.")
    extension_hours: float = Field(24.0, gt=0, le=720, description="Added per extension.")
    max_extensions: int = Field(2, ge=0, le=10)
    payment_days: int = Field(15, ge=1, le=365, description="Fine due after this many days.")


class ExemptionSettings(Strict):
    enabled: bool = True
    lookback_days: int = Field(365, ge=1, le=3650, description="Some cities use two years.")


class PenaltySettings(Strict):
    min_fine_cny: int = Field(100, ge=0)
    max_fine_cny: int = Field(1000, ge=0)
    default_fine_cny: int = Field(200, ge=0)
    late_surcharge_percent_per_day: float = Field(3.0, ge=0, le=100)
    surcharge_cap_ratio: float = Field(
        1.0, ge=0, le=10, description="The surcharge never exceeds this times the fine."
    )

    @model_validator(mode="after")
    def _ordered(self) -> PenaltySettings:
        if not self.min_fine_cny <= self.default_fine_cny <= self.max_fine_cny:
            raise ValueError("need min_fine_cny <= default_fine_cny <= max_fine_cny")
        return self


class StreetDispatch(Strict):
    """How a confirmed case of a street reaches the squad."""

    dispatch: Literal["immediate", "notify_first"] = Field(
        "immediate",
        description=(
            "immediate: SMS and work order on confirmation. notify_first: the SMS only; if the "
            "camera sees the frontage clear within the grace period the case is self-corrected, "
            "otherwise the work order goes out when the grace period ends."
        ),
    )
    grace_minutes: float = Field(
        60.0, gt=0, le=7 * 24 * 60, description="notify_first: time the merchant has alone."
    )


class DispatchSettings(Strict):
    """The dispatch policy: a default and per-street exceptions (by street code)."""

    default: StreetDispatch = StreetDispatch()
    streets: dict[str, StreetDispatch] = Field(
        default_factory=dict, description="Street code → its policy (others use the default)."
    )


class S3Settings(Strict):
    """An S3-compatible object store (AWS S3, MinIO, Ceph RGW, Alibaba OSS, Tencent COS)."""

    bucket: str = Field(min_length=3, max_length=63)
    endpoint_url: str | None = Field(None, description="None: AWS; else the store's URL.")
    region: str = "us-east-1"
    access_key_id: str | None = Field(None, description="None: the SDK's usual sources.")
    secret_access_key: str | None = None
    prefix: str = Field("", description="Keys go under this folder of the bucket.")
    multipart_threshold_mb: float = Field(8.0, ge=5, le=5120)
    url_expiry_seconds: int = Field(600, ge=10, le=7 * 24 * 3600)


class EvidenceSettings(Strict):
    dir: Path = Field(
        Path("var/evidence"),
        description="Filesystem evidence store; with s3, where uploads are staged.",
    )
    max_upload_mb: float = Field(50.0, gt=0, le=2048)
    backend: Literal["filesystem", "s3"] = "filesystem"
    s3: S3Settings | None = None

    @model_validator(mode="after")
    def _s3_needs_its_section(self) -> EvidenceSettings:
        if self.backend == "s3" and self.s3 is None:
            raise ValueError("backend s3 needs the evidence.s3 section (bucket, endpoint_url…)")
        return self


class RetentionSettings(Strict):
    """How long a closed case keeps its evidence files and personal data (GB/T 35273: no longer
    than the purpose needs). The case, its history and the files' sha256 stay."""

    enabled: bool = Field(True, description="Run the retention job with the periodic jobs.")
    days_after_closure: float = Field(
        365.0, gt=0, le=3650,
        description="Evidence files, SMS phone numbers, names and texts, and citizen reporters' "
        "contacts of a case closed (or rejected) this long ago are deleted.",
    )  # fmt: skip
    batch_cases: int = Field(200, ge=1, le=10000, description="Cases per job run.")


class AuthSettings(Strict):
    access_token_minutes: int = Field(
        12 * 60, ge=1, le=60 * 24 * 30,
        description="Access tokens of roles without their own lifetime; the console's session.",
    )  # fmt: skip
    access_token_minutes_by_role: dict[
        Literal["reviewer", "squad_leader", "officer", "admin"], int
    ] = Field(
        default_factory=dict,
        description="A role's own access-token lifetime, whichever login route issues the "
        "token; the server sets officer and squad_leader to mobile.tokens.access_minutes.",
    )  # fmt: skip
    refresh_token_days: int = Field(14, ge=1, le=365)
    bcrypt_rounds: int = Field(12, ge=4, le=16)

    @field_validator("access_token_minutes_by_role")
    @classmethod
    def _sane_lifetimes(cls, value: dict[str, int]) -> dict[str, int]:
        for role, minutes in value.items():
            if not 1 <= minutes <= 60 * 24 * 30:
                raise ValueError(f"{role}: {minutes} minutes is outside 1..43200")
        return value

    def access_minutes(self, role: str) -> int:
        """How long an access token of this role lasts."""
        by_role: dict[str, int] = dict(self.access_token_minutes_by_role)
        return by_role.get(role, self.access_token_minutes)


class PlatformSettings(Strict):
    """The whole platform config."""

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = Field("sqlite:///var/platform.db", description="SQLAlchemy URL.")
    secret_key: str = Field(
        DEV_SECRET, validate_default=True,  # the default is refused outside development too
        description="Signs tokens; use STREETORDER_SECRET_KEY.",
    )  # fmt: skip
    public_url: str = Field("http://127.0.0.1:8000", description="Base of links sent by SMS.")
    timezone: TimeZoneName = Field(
        "Asia/Shanghai", description="The city's time zone for deadlines."
    )
    broker: BrokerConfig | None = Field(None, description="None: no MQTT ingest or config push.")
    ingest: IngestSettings = IngestSettings()
    sms: SmsSettings = SmsSettings()
    time_limits: TimeLimits = TimeLimits()
    exemption: ExemptionSettings = ExemptionSettings()
    penalty: PenaltySettings = PenaltySettings()
    evidence: EvidenceSettings = EvidenceSettings()
    auth: AuthSettings = AuthSettings()
    dispatch: DispatchSettings = DispatchSettings()
    retention: RetentionSettings = RetentionSettings()
    open311: Open311Settings = Open311Settings()

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql")):
            raise ValueError("only sqlite:/// and postgresql+psycopg:// URLs are supported")
        return value

    @field_validator("secret_key")
    @classmethod
    def _real_secret_outside_development(cls, secret: str, info: ValidationInfo) -> str:
        """A field check (its error names ``secret_key``); ``environment`` comes first."""
        environment = info.data.get("environment", "development")
        weak = secret.lower() in PLACEHOLDER_SECRETS or len(secret) < 16
        # production also refuses a long example text such as "replace-with-a-long-secret"
        example = environment == "production" and PLACEHOLDER_WORDS.search(secret)
        if environment != "development" and (weak or example):
            raise ValueError(
                f"a placeholder or shorter than 16 characters; set a real one "
                f"(STREETORDER_SECRET_KEY) when environment is {environment!r}"
            )
        return secret

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _set_path(data: dict[str, Any], path: tuple[str, ...], value: str) -> None:
    node = data
    for key in path[:-1]:
        child = node.get(key)
        if child is None:
            if key == "broker":  # a password alone does not enable MQTT
                return
            child = node[key] = {}
        if not isinstance(child, dict):
            return
        node = child
    node[path[-1]] = value


def settings_from_mapping(
    data: dict[str, Any] | None, source: str = "settings"
) -> PlatformSettings:
    """Validate a mapping after applying the environment overrides."""
    data = dict(data or {})
    for var, path in ENV_OVERRIDES:
        if os.environ.get(var):
            _set_path(data, path, os.environ[var])
    return validate_mapping(PlatformSettings, data, source)
