"""Schemathesis against the officer app's OpenAPI schema: no generated request may cause a
server error (5xx). Authenticated as a squad leader (who may call every operation), with a
dispatched work order and scheduled tasks in the database so that some ids exist.

Operations are driven one by one with Hypothesis (schemathesis' pytest plugin does not load
on this pytest), a few examples each, so the run stays around a minute on both databases.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.mobile_api.test_mobile_api_inspections import run_scheduler
from tests.mobile_api.world import build_world

EXAMPLES = 20


@pytest.mark.slow
def test_no_server_error_on_any_operation(database_url: str, tmp_path: Path) -> None:
    world = build_world(database_url, tmp_path)
    try:
        world.dispatch_alert("shop-1")
        run_scheduler(world)
        schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", world.app).include(
            path_regex=r"^/api/mobile/v1/"
        )
        auth = world.headers("leader-a")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 20
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def check(case) -> None:
                # the generated credentials are never valid: always act as the squad leader
                headers = {
                    k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"
                }
                case.headers = headers | auth
                case.call_and_validate(checks=[not_a_server_error])

            check()
    finally:
        world.client.close()
        world.db.dispose()
