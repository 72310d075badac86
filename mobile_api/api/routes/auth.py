"""Login, token refresh (rotating) and logout."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from streetorder.mobile_api.api import schemas as s
from streetorder.mobile_api.api.deps import Ctx, CurrentActor, IdempotencyKey, Public
from streetorder.mobile_api.api.writes import write
from streetorder.mobile_api.services import auth
from streetorder.platform.db import Squad, User

router = APIRouter(prefix="/auth", tags=["auth"])


def _token_out(pair: auth.TokenPair) -> s.TokenOut:
    return s.TokenOut(
        access_token=pair.access_token,
        access_expires_at=pair.access_expires_at,
        refresh_token=pair.refresh_token,
        refresh_expires_at=pair.refresh_expires_at,
        user=s.UserOut.model_validate(pair.user),
    )


@router.post(
    "/login", response_model=s.TokenOut, summary="Log in (officers, squad leaders)",
    dependencies=[Public()],
)  # fmt: skip
def login(body: s.LoginIn, ctx: Ctx) -> s.TokenOut:
    with ctx.db.session() as session:
        pair = auth.login(
            session,
            username=body.username,
            password=body.password,
            signer=ctx.signer,
            tokens=ctx.mobile.tokens,
            now=ctx.now(),
        )
        return _token_out(pair)


@router.post(
    "/refresh",
    response_model=s.TokenOut,
    summary="Trade a refresh token for a new pair (the old one is used up)",
    dependencies=[Public()],
)
def refresh(body: s.RefreshIn, ctx: Ctx, request: Request, key: IdempotencyKey = None) -> Response:
    scope = "refresh:" + auth.token_hash(body.refresh_token)[:32]
    try:
        return write(
            ctx,
            request,
            scope=scope,
            key=key,
            body=body,
            action=lambda session: _token_out(
                auth.refresh(
                    session,
                    token=body.refresh_token,
                    signer=ctx.signer,
                    tokens=ctx.mobile.tokens,
                    now=ctx.now(),
                )
            ),
        )
    except auth.TokenReused as exc:
        with ctx.db.session() as session:
            auth.revoke_family(session, family=exc.family, now=ctx.now())
        raise


@router.post(
    "/logout", status_code=204, summary="End this login (its refresh tokens)",
    dependencies=[Public()],
)  # fmt: skip
def logout(body: s.RefreshIn, ctx: Ctx) -> Response:
    with ctx.db.session() as session:
        auth.logout(session, token=body.refresh_token, now=ctx.now())
    return Response(status_code=204)


me_router = APIRouter(tags=["auth"])


@me_router.get("/me", response_model=s.MeOut, summary="Who am I, which squad")
def me(actor: CurrentActor, ctx: Ctx) -> s.MeOut:
    with ctx.db.session() as session:
        user = session.get(User, actor.user_id)
        squad = session.get(Squad, actor.squad_id)
        return s.MeOut(user=s.UserOut.model_validate(user), squad=s.SquadOut.model_validate(squad))
