"""Config sections shared by the edge and the platform."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, model_validator

from streetorder.contracts.camera import Strict


def check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


#: An IANA time zone name such as "Asia/Shanghai", checked when the config is read.
TimeZoneName = Annotated[str, AfterValidator(check_timezone)]


class TlsConfig(Strict):
    ca_file: Path | None = Field(None, description="CA bundle; None: system roots.")
    cert_file: Path | None = None
    key_file: Path | None = None
    insecure: bool = Field(False, description="Skip hostname checks (testing only).")


class BrokerConfig(Strict):
    """An MQTT broker connection (Mosquitto in production)."""

    host: str = "127.0.0.1"
    port: int = Field(1883, ge=1, le=65535)
    username: str | None = None
    password: str | None = Field(None, description='Use "${ENV_VAR}" to keep it out of the file.')
    client_id: str | None = Field(None, description="Default: derived from the node id.")
    keepalive_seconds: int = Field(30, ge=5, le=3600)
    tls: TlsConfig | None = None
    protocol: Literal["5", "3.1.1"] = Field(
        "5",
        description='"3.1.1" only for brokers without MQTT 5 (then no shared subscriptions).',
    )

    @model_validator(mode="after")
    def _login_pairs(self) -> BrokerConfig:
        """A broker login is a user name and its password, or neither (anonymous)."""
        if self.password and not self.username:
            raise ValueError("a password is set but no username")
        if self.username and not self.password:
            raise ValueError(
                f"username {self.username!r} has no password "
                '(use "${ENV_VAR}" to keep it out of the file)'
            )
        return self
