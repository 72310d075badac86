"""Property-based testing of both OpenAPIs (platform API and officer app) with Schemathesis:
every operation, a bounded number of generated requests each, ALL of Schemathesis' checks
(no server error, status codes and content types documented, responses matching their
schema, negative data rejected, positive data accepted, auth not ignored...), as a caller the
operation's scope rule allows; then stateful runs along OpenAPI links (create → read → update
→ delete). Two squads' data exist (tests/security/city.py), so many ids are real.

Budget: ``STREETORDER_FUZZ_EXAMPLES`` examples per operation (default 12) keep it to a few
minutes on two cores; raise it locally for a deeper run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.config import SchemathesisConfig

from streetorder.platform.domain.roles import Role
from streetorder.platform.schemas.registry import UserUpdate
from streetorder.platform.services import registry
from tests.security.city import NODE, PASSWORD, City, build_city
from tests.security.routes import api_routes, rules_of

EXAMPLES = int(os.environ.get("STREETORDER_FUZZ_EXAMPLES", "12"))
SCENARIOS = int(os.environ.get("STREETORDER_FUZZ_SCENARIOS", "25"))
#: who calls an operation: the most capable role its rule allows
PREFERENCE = (
    (Role.ADMIN, "admin"), (Role.REVIEWER, "reviewer"), (Role.SQUAD_LEADER, "leader-a"),
    (Role.OFFICER, "officer-a"), (Role.EDGE_NODE, NODE),
)  # fmt: skip
#: valid by the schema, refused by a rule the schema cannot express (a mobile number's format,
#: a credit code's check character, a state the case is not in): 400/422 with a sentence
CONFIG = """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "401", "403", "404", "409", "413", "415", "422", "429"]
"""
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
    suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate],
)  # fmt: skip


@pytest.fixture
def city(database_url: str, tmp_path: Path) -> Iterator[City]:
    built = build_city(database_url, tmp_path)
    try:
        yield built
    finally:
        built.client.close()
        built.db.dispose()


def _callers(city: City) -> dict[tuple[str, str], tuple[str, str] | None]:
    """(METHOD, path) → (login, which login route) of the caller, None for public routes."""
    out = {}
    for route in api_routes(city.app):
        [rule] = rules_of(route.dependant)
        caller = None
        if route.path.startswith("/api/mobile/v1/"):
            caller = None if rule.kind == "public" else ("leader-a", "mobile")
        elif rule.kind != "public":
            caller = next((name, "platform") for role, name in PREFERENCE if rule.allows(role))
        for method in route.methods:
            out[(method, route.path)] = caller
    return out


def _heal(city: City) -> None:
    """Generated PATCHes may deactivate or re-password the fixture's logins: undo that."""
    people = {"admin", "reviewer", "officer-a", "leader-a", "officer-b", "leader-b"}
    with city.db.session() as session:
        for user in registry.list_users(session):
            if user.username in people:
                update = UserUpdate(active=True, password=PASSWORD)
                registry.update_user(session, user_id=user.id, data=update, bcrypt_rounds=4)
    city.tokens.clear()


def _runner(operation: Any) -> Any:
    @given(case=operation.as_strategy())
    @FUZZ_SETTINGS
    def run(case) -> None:
        case.call_and_validate()

    return run


def load_schema(city: City) -> Any:
    """Both APIs' schema, authenticated per operation as the caller its scope rule allows."""
    config = SchemathesisConfig.from_str(CONFIG)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", city.app, config=config)
    callers = _callers(city)

    @schema.auth(refresh_interval=None)
    class AsTheRuleAllows:
        def get(self, case: Any, ctx: Any) -> dict[str, str]:
            caller = callers[(case.operation.method.upper(), case.operation.path)]
            return city.headers(*caller) if caller is not None else {}

        def set(self, case: Any, data: dict[str, str], ctx: Any) -> None:
            case.headers = {**(case.headers or {}), **data}

    return schema.include(path_regex=r"^/api/(v1|mobile/v1)/")  # Open311 has its own tests


@pytest.mark.slow
def test_every_operation_of_both_apis(city: City) -> None:
    schema = load_schema(city)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 90
    failures: list[str] = []
    for operation in operations:
        run = _runner(operation)
        try:
            run()
        except Exception as exc:  # noqa: BLE001 - collected, reported together below
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:3000])
        if "/users" in operation.path or "/auth/" in operation.path:
            _heal(city)
    assert not failures, f"{len(failures)} operations failed:\n\n" + "\n\n".join(failures)


@pytest.mark.slow
def test_stateful_along_the_links(city: City) -> None:
    """Scenarios that feed one answer's ids into the next request (links Schemathesis infers
    from the schema: a created merchant is read, patched and deleted; a listed case is
    confirmed...), with every check after each step."""
    schema = load_schema(city)
    machine = schema.as_state_machine()  # infers the links from the schema
    schema.__dict__.pop("statistic", None)
    assert schema.statistic.transitions.total > 50  # links between operations were found

    class Scenario(machine):
        def teardown(self) -> None:
            _heal(city)

    Scenario.run(
        settings=settings(
            max_examples=SCENARIOS,
            stateful_step_count=8,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate],
        )  # fmt: skip
    )
