"""The routes of an app with their declared scope rules, and requests filled for a matrix."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from streetorder.platform.api.scope import Rule, rule_of

API_PREFIXES = ("/api/v1/", "/api/mobile/v1/")


def rules_of(dependant: Dependant) -> set[Rule]:
    found: set[Rule] = set()
    for sub in dependant.dependencies:
        rule = rule_of(sub.call) if sub.call is not None else None
        if rule is not None:
            found.add(rule)
        found |= rules_of(sub)
    return found


def api_routes(app: FastAPI) -> Iterator[Any]:
    """Every route of the two OpenAPI documents (platform API and officer app), as FastAPI
    sees it after including routers (prefix and router-level dependencies applied)."""
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and context.include_in_schema:
            yield context


def undeclared(app: FastAPI) -> list[str]:
    """Routes in an OpenAPI without exactly one scope rule."""
    bad = []
    for route in api_routes(app):
        rules = rules_of(route.dependant)
        if len(rules) != 1:
            bad.append(f"{sorted(route.methods)} {route.path}: {len(rules)} scope rules")
    return bad


@dataclass(frozen=True)
class Call:
    method: str
    template: str
    path: str
    params: dict[str, Any]
    body: dict[str, Any] | None
    scoped_param: bool  # names a squad-owned thing (the rule must answer 404 across squads)
    guessed: bool = False  # a path parameter the fixtures have no value for (``1`` was sent)


def fill(route: Any, method: str, values: dict[str, Any], scoped_names: set[str]) -> Call:
    """The route's path with ``values`` for its parameters (unknown ones get ``1``), its
    required query parameters and the squad-owned ones, and an empty JSON body if it takes a
    body (validation answers 422: only who may ask is under test here)."""
    names = re.findall(r"{(\w+)(?::\w+)?}", route.path)
    path = route.path
    for name in names:
        path = re.sub(r"{" + name + r"(?::\w+)?}", str(values.get(name, 1)), path)
    params = {}
    for param in route.dependant.query_params:
        if param.name in scoped_names and param.name in values:
            params[param.name] = values[param.name]
        elif param.field_info.is_required():
            params[param.name] = values.get(param.name, 1)
    body = {} if route.body_field is not None else None
    scoped = any(n in scoped_names for n in names) or any(n in scoped_names for n in params)
    guessed = any(n not in values for n in names)
    return Call(method, route.path, path, params, body, scoped, guessed)
