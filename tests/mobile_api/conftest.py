"""Fixtures of the officer-app tests: a migrated database with a small city, and a client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mobile_api.world import World, build_world


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    built = build_world(database_url, tmp_path)
    try:
        yield built
    finally:
        built.client.close()
        built.db.dispose()
