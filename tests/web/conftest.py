"""Fixtures for the console: a migrated database, the platform app with the console, a clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI

from streetorder.platform.api.state import PlatformState
from streetorder.platform.db import Database
from streetorder.platform.settings import PlatformSettings, settings_from_mapping
from streetorder.server import create_app
from streetorder.server.migrate import upgrade
from tests.web.seeding import Registry, seed_registry

SECRET = "web-console-test-secret-0123456789"


class Clock:
    """A settable clock shared by the app and the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class Console:
    app: FastAPI
    settings: PlatformSettings
    db: Database
    clock: Clock
    registry: Registry
    evidence_tmp: Path

    @property
    def state(self) -> PlatformState:
        return self.app.state.platform


def make_settings(url: str, tmp: Path, **extra) -> PlatformSettings:
    return settings_from_mapping(
        {
            "environment": "test",
            "database_url": url,
            "secret_key": SECRET,
            "evidence": {"dir": str(tmp / "evidence")},
            "auth": {"bcrypt_rounds": 4},
            **extra,
        },
        "test settings",
    )


def console_app(settings: PlatformSettings, db: Database, clock: Clock) -> FastAPI:
    return create_app(settings, db=db, clock=clock)


def build_console(url: str, tmp: Path, now: datetime | None = None) -> Console:
    upgrade(url)
    settings = make_settings(url, tmp)
    db = Database(url)
    clock = Clock(now or datetime(2026, 11, 20, 2, 0, tzinfo=UTC))
    reg = seed_registry(db)
    return Console(console_app(settings, db, clock), settings, db, clock, reg, tmp / "edge")


@pytest.fixture
def console(database_url: str, tmp_path: Path) -> Iterator[Console]:
    """The platform + console on SQLite and on PostgreSQL, with a seeded registry."""
    env = build_console(database_url, tmp_path)
    try:
        yield env
    finally:
        env.db.dispose()


@pytest.fixture
def sqlite_console(tmp_path: Path) -> Iterator[Console]:
    env = build_console(f"sqlite:///{tmp_path / 'platform.db'}", tmp_path)
    try:
        yield env
    finally:
        env.db.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's headless Chromium driven by Playwright (skips when either is missing)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from tests.web.browser_support import launch_chromium

    with sync_api.sync_playwright() as pw:
        chromium = launch_chromium(pw)
        try:
            yield chromium
        finally:
            chromium.close()


def _page_in(browser, locale: str):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def page(browser):
    yield from _page_in(browser, "en-GB")


@pytest.fixture
def zh_page(browser):
    """A browser page whose language is zh-CN, as a command-centre PC's."""
    yield from _page_in(browser, "zh-CN")


def prefer_language(env: Console, username: str, language: str) -> None:
    """Store a user's console language, as the switch in the top bar does."""
    from streetorder.platform.services import accounts

    with env.db.session() as s:
        user = accounts.user_by_username(s, username=username)
        assert user is not None
        accounts.set_language(s, user_id=user.id, language=language)
