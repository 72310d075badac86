"""Typed dependencies: the request's session, clock, current user and role checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from streetorder.platform.api.scope import Scopes
from streetorder.platform.api.state import PlatformState
from streetorder.platform.db import User
from streetorder.platform.domain.errors import Unauthorized
from streetorder.platform.domain.roles import Actor, Role
from streetorder.platform.security import API_KEY_PREFIX
from streetorder.platform.services import accounts, login_sessions
from streetorder.platform.services.rules import Rules
from streetorder.platform.services.squad_scope import RESOLVERS

bearer = HTTPBearer(
    auto_error=False, description="An access token from /auth/login, or a node key."
)


def get_state(request: Request) -> PlatformState:
    return request.app.state.platform


StateDep = Annotated[PlatformState, Depends(get_state)]


def get_session(state: StateDep) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent."""
    with state.db.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_rules(state: StateDep) -> Rules:
    return state.rules


def get_now(state: StateDep) -> datetime:
    return state.clock()


RulesDep = Annotated[Rules, Depends(get_rules)]
NowDep = Annotated[datetime, Depends(get_now)]


def authenticate(session: Session, state: PlatformState, token: str, now: datetime) -> User:
    if token.startswith(API_KEY_PREFIX):
        user = accounts.user_by_api_key(session, api_key=token)
    else:
        claims = state.rules.signer.verify(token, "access", now)
        if not login_sessions.is_open(session, sid=claims.sid, user_id=claims.user_id):
            raise Unauthorized("this login has ended (logged out); log in again")
        user = session.get(User, claims.user_id)
    if user is None or not user.active:
        raise Unauthorized("unknown or inactive user")
    return user


def get_current_user(
    session: SessionDep,
    state: StateDep,
    now: NowDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("not authenticated: send Authorization: Bearer <token>")
    return authenticate(session, state, credentials.credentials, now)


CurrentUser = Annotated[User, Depends(get_current_user)]


def actor_of(session: Session, user: User) -> Actor:
    node_code = accounts.node_code_of(session, user=user)
    return Actor(
        role=Role(user.role), name=user.username, user_id=user.id, squad_id=user.squad_id,
        node_code=node_code,
    )  # fmt: skip


def current_actor(
    state: StateDep,
    now: NowDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    """The caller, from the Authorization header alone, in a short transaction of its own (so
    it runs before a body is read and holds no lock while the route works)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("not authenticated: send Authorization: Bearer <token>")
    with state.db.session() as session:
        return actor_of(session, authenticate(session, state, credentials.credentials, now))


#: the platform API's scope rules (see platform/api/scope.py and /work/notes/scope-rule.md)
api_scope = Scopes(current_actor, lambda request: request.app.state.platform.db, RESOLVERS)


def require(*roles: Role) -> Callable[..., Actor]:
    """A dependency giving the acting user, refused with 403 unless it has one of ``roles``
    (a ``roles`` scope rule; prefer ``api_scope.roles(...)`` in new code)."""
    return api_scope.roles(*roles).dependency


R = Role
HUMANS = (R.REVIEWER, R.SQUAD_LEADER, R.OFFICER, R.ADMIN)
STAFF = (R.REVIEWER, R.SQUAD_LEADER, R.ADMIN)
#: any logged-in person, on data that is not a squad's (registry lists...)
AnyUser = Annotated[Actor, api_scope.roles(*HUMANS)]
#: any logged-in person, on a squad's cases, alerts, evidence, work orders, merchants
SquadUser = Annotated[Actor, api_scope.squad("squad data", *HUMANS)]
StaffUser = Annotated[Actor, api_scope.roles(*STAFF)]
#: reviewers, admins and squad leaders (the latter only within their squad)
SquadStaff = Annotated[Actor, api_scope.squad("squad data", *STAFF)]
AdminUser = Annotated[Actor, api_scope.roles(R.ADMIN)]
NodeUser = Annotated[Actor, api_scope.roles(R.EDGE_NODE)]
Public = api_scope.public
#: Roles checked per event by the workflow itself; here only "a person, logged in", in scope.
WorkflowUser = SquadUser
