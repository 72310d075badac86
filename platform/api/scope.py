"""One scope rule per route: who may call it, and whose data it may touch.

Every route declares exactly one rule, as the dependency that gives it its actor::

    actor: Annotated[Actor, api_scope.squad("case", R.REVIEWER, R.ADMIN, ...)]
    actor: Annotated[Actor, api_scope.roles(R.ADMIN)]
    @router.get("/health", dependencies=[api_scope.public()])

- ``public()``: no login (the route checks whatever else it needs, e.g. a signed link);
- ``roles(*roles)``: a login with one of ``roles``, else 401 (no/bad token) or 403;
- ``squad(resource, *roles)``: as ``roles``, and for officers and squad leaders every path or
  query parameter that names a squad-owned thing (``case_id``, ``alert_id``, ``shop_id``... see
  :data:`~streetorder.platform.services.squad_scope.RESOLVERS`) must belong to their squad,
  else **404** (another squad's things do not exist for them). Lists must also filter by
  :func:`squad_limit`; the generated matrix test (tests/security) checks both.

The officer app builds its own :class:`Scopes` with its login and resolvers; the platform's is
``api_scope`` in :mod:`streetorder.platform.api.deps`.
"""

# no ``from __future__ import annotations``: FastAPI reads the closures' annotations at runtime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Request

from streetorder.platform.db import Database
from streetorder.platform.domain.errors import Forbidden, NotFound
from streetorder.platform.domain.roles import SQUAD_LIMITED, Actor, Role, squad_limit
from streetorder.platform.services.squad_scope import Resolver

Kind = Literal["public", "roles", "squad"]
RULE_ATTRIBUTE = "scope_rule"
__all__ = ["Rule", "Scopes", "rule_of", "squad_limit"]


@dataclass(frozen=True)
class Rule:
    """A route's declared scope (read by the matrix test from the route's dependencies)."""

    kind: Kind
    roles: frozenset[Role] = frozenset()
    resource: str | None = None

    def allows(self, role: Role) -> bool:
        return self.kind == "public" or role in self.roles

    def squad_limited(self, role: Role) -> bool:
        return self.kind == "squad" and role in SQUAD_LIMITED


def rule_of(dependency: Callable[..., Any]) -> Rule | None:
    return getattr(dependency, RULE_ATTRIBUTE, None)


class Scopes:
    """The rule factory of one API: how it finds the caller and who owns a parameter's thing."""

    def __init__(
        self,
        current_actor: Callable[..., Actor],
        database: Callable[[Request], Database],
        resolvers: Mapping[str, Resolver],
    ) -> None:
        self._current = current_actor
        self._database = database
        self.resolvers = dict(resolvers)

    def public(self) -> Any:
        def no_login() -> None:
            return None

        return self._declare(no_login, Rule("public"))

    def roles(self, *roles: Role) -> Any:
        return self._declare(self._dependency(Rule("roles", frozenset(roles))), None)

    def squad(self, resource: str, *roles: Role) -> Any:
        return self._declare(self._dependency(Rule("squad", frozenset(roles), resource)), None)

    def _declare(self, dependency: Callable[..., Any], rule: Rule | None) -> Any:
        if rule is not None:
            setattr(dependency, RULE_ATTRIBUTE, rule)
        return Depends(dependency)

    def _dependency(self, rule: Rule) -> Callable[..., Actor]:
        current = self._current

        def dependency(request: Request, actor: Annotated[Actor, Depends(current)]) -> Actor:
            if actor.role not in rule.roles:
                allowed = ", ".join(sorted(r.value for r in rule.roles))
                raise Forbidden(f"role {actor.role.value} may not do this (needs {allowed})")
            if rule.squad_limited(actor.role):
                self._check_squad(request, actor)
            return actor

        setattr(dependency, RULE_ATTRIBUTE, rule)
        return dependency

    def _check_squad(self, request: Request, actor: Actor) -> None:
        named = [
            (name, value)
            for params in (request.path_params, request.query_params)
            for name, value in params.items()
            if name in self.resolvers
        ]
        if not named:
            return
        with self._database(request).session() as session:
            for name, value in named:
                owners = self.resolvers[name](session, str(value))
                if owners is not None and actor.squad_id not in owners:
                    thing = name.removesuffix("_id").removesuffix("_code").replace("_", " ")
                    raise NotFound(f"{thing} {value} not found")
