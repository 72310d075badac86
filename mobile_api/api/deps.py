"""Typed dependencies: the context, the signed-in officer, the idempotency key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from streetorder.i18n import Reason
from streetorder.mobile_api.api.context import MobileContext, get_context
from streetorder.mobile_api.services.auth import APP_ROLES, check_app_user
from streetorder.mobile_api.services.scope import RESOLVERS
from streetorder.platform.api.scope import Scopes
from streetorder.platform.db import User
from streetorder.platform.domain.errors import Unauthorized
from streetorder.platform.domain.roles import Actor, Role
from streetorder.platform.services import login_sessions

bearer = HTTPBearer(auto_error=False, description="Access token from /auth/login")

Ctx = Annotated[MobileContext, Depends(get_context)]


def current_actor(
    request: Request,
    ctx: Ctx,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized(Reason("officer.missing_token"))
    claims = ctx.signer.verify(credentials.credentials, "access", ctx.now())
    with ctx.db.session() as session:
        if not login_sessions.is_open(session, sid=claims.sid, user_id=claims.user_id):
            raise Unauthorized(Reason("officer.session_ended"))
        user = check_app_user(session.get(User, claims.user_id))
        request.state.language = user.language  # refusals from here on in the user's language
        return Actor(
            role=Role(user.role),
            name=user.username,  # records keep the user name (stable, machine-readable)
            user_id=user.id,
            squad_id=user.squad_id,
        )


#: the officer app's scope rules (see platform/api/scope.py and /work/notes/scope-rule.md)
app_scope = Scopes(current_actor, lambda request: request.app.state.mobile.db, RESOLVERS)
#: an officer or squad leader, on their own squad's things only (others' answer 404)
CurrentActor = Annotated[Actor, app_scope.squad("squad data", *APP_ROLES)]
#: a squad leader, on their own squad's things only
Leader = Annotated[Actor, app_scope.squad("squad data", Role.SQUAD_LEADER)]
Public = app_scope.public

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Any unique string per logical write (a UUID); a retry with the same key "
        "replays the first response instead of writing again.",
        max_length=100,
    ),
]
