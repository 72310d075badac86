"""Poll until a probe returns something truthy, for tests that wait on other processes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def wait_for(probe: Callable[[], Any], timeout: float = 30.0, what: str = "") -> Any:
    """The probe's first truthy value; AssertionError naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout:.0f} s: {what or getattr(probe, '__name__', probe)}")
