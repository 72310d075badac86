"""The one settings file of the server: the platform's keys plus the officer app's ``mobile:``.

```yaml
database_url: postgresql+psycopg://...
time_limits: {rectify_hours: 24}
mobile:
  colours: {clean_run_to_step_down: 3}
  schedule: {red_days: 2, yellow_days: 7, green_days: 30}
```

Errors name the file, the key (``mobile.schedule.red_days``) and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streetorder.config.loader import read_yaml, validate_mapping
from streetorder.contracts.camera import Strict
from streetorder.errors import ConfigError
from streetorder.mobile_api.settings import MobileSettings
from streetorder.platform.settings import PlatformSettings, settings_from_mapping

MOBILE_KEY = "mobile"


class _MobileSection(Strict):
    """Validates the ``mobile:`` section so errors carry the ``mobile.`` key prefix."""

    mobile: MobileSettings = MobileSettings()


#: The officer app's roles: their access tokens last ``mobile.tokens.access_minutes`` on every
#: login route (the platform's ``/api/v1/auth/login`` too).
APP_ROLES = ("officer", "squad_leader")


@dataclass(frozen=True)
class ServerSettings:
    platform: PlatformSettings
    mobile: MobileSettings = field(default_factory=MobileSettings)

    def __post_init__(self) -> None:
        auth = self.platform.auth
        minutes = self.mobile.tokens.access_minutes
        by_role = dict(auth.access_token_minutes_by_role)
        for role in APP_ROLES:
            if by_role.get(role, minutes) != minutes:
                raise ConfigError(
                    f"auth.access_token_minutes_by_role.{role} ({by_role[role]}) differs from "
                    f"mobile.tokens.access_minutes ({minutes}): the officer app's roles have "
                    "one token lifetime on every login route; set only the latter"
                )
            by_role[role] = minutes
        merged = auth.model_copy(update={"access_token_minutes_by_role": by_role})
        object.__setattr__(self, "platform", self.platform.model_copy(update={"auth": merged}))


def server_settings_from_mapping(
    data: dict[str, Any] | None, source: str = "settings"
) -> ServerSettings:
    """Validate one mapping: the ``mobile`` key for the officer app, the rest for the platform."""
    data = dict(data or {})
    section = data.pop(MOBILE_KEY, None)
    platform = settings_from_mapping(data, source)
    mobile = validate_mapping(
        _MobileSection, {} if section is None else {MOBILE_KEY: section}, source
    )
    return ServerSettings(platform=platform, mobile=mobile.mobile)


def load_settings(path: str | Path | None = None) -> ServerSettings:
    """Read the server YAML (``None``: defaults plus the platform's environment overrides)."""
    if path is None:
        return server_settings_from_mapping({}, "(defaults)")
    data = read_yaml(path)
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return server_settings_from_mapping(data, str(path))
