"""Platform settings: defaults, environment overrides for secrets, clear config errors.

The file is read by the server (``streetorder.server.settings``); these are its platform keys.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from streetorder.errors import ConfigError
from streetorder.platform.settings import PlatformSettings
from streetorder.server.settings import load_settings as load_server_settings


def load_settings(path: Path | None) -> PlatformSettings:
    return load_server_settings(path).platform


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("STREETORDER_ENV", "STREETORDER_DATABASE_URL", "STREETORDER_SECRET_KEY",
                "STREETORDER_SMS_API_KEY", "STREETORDER_BROKER_PASSWORD"):  # fmt: skip
        monkeypatch.delenv(var, raising=False)


def test_defaults_work_in_development() -> None:
    s = load_settings(None)
    assert s.database_url == "sqlite:///var/platform.db" and s.broker is None
    assert s.time_limits.rectify_hours == 24 and s.exemption.lookback_days == 365
    assert str(s.tz) == "Asia/Shanghai" and s.sms.provider == "outbox"


@pytest.mark.parametrize("secret", ["changeme", "short", "secret"])
def test_placeholder_secret_is_refused_outside_development(tmp_path: Path, secret: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(f"environment: production\nsecret_key: {secret}\n")
    with pytest.raises(ConfigError, match=r"p\.yaml: secret_key: a placeholder or shorter"):
        load_settings(path)


def test_the_default_secret_is_refused_in_production_naming_the_key(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("environment: production\n")  # no secret_key at all: the default is refused
    with pytest.raises(ConfigError) as refused:
        load_settings(path)
    assert str(refused.value).startswith(f"{path}: secret_key: a placeholder or shorter")
    assert "(top level)" not in str(refused.value)


def test_secrets_come_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "environment: production\n"
        "sms: {provider: http, http: {url: 'https://sms.example/send'}}\n"
        "broker: {host: mqtt.example, username: platform}\n"
    )
    monkeypatch.setenv("STREETORDER_SECRET_KEY", "a-real-secret-of-enough-length")
    monkeypatch.setenv("STREETORDER_SMS_API_KEY", "gw-key")
    monkeypatch.setenv("STREETORDER_BROKER_PASSWORD", "mqtt-pass")
    monkeypatch.setenv("STREETORDER_DATABASE_URL", "postgresql+psycopg://db/streetorder")
    s = load_settings(path)
    assert s.secret_key == "a-real-secret-of-enough-length"
    assert s.sms.http.api_key == "gw-key" and s.broker and s.broker.password == "mqtt-pass"
    assert s.database_url.startswith("postgresql+psycopg://")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "time_limits: {rectify_hours: -1}",
            r"time_limits\.rectify_hours: Input should be greater",
        ),
        ("timezone: Mars/Olympus", r"timezone: unknown time zone"),
        ("sms: {provider: http}", r"sms: sms\.provider is 'http' but sms\.http\.url is empty"),
        ("exemptoin: {}", r"exemptoin: unknown key"),
        ("database_url: mysql://x", r"database_url: only sqlite"),
        ("a: [", r"not valid YAML at line"),
    ],
)
def test_config_errors_name_file_key_and_reason(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError, match=message) as info:
        load_settings(path)
    assert str(info.value).startswith(str(path))
