"""Registry: streets, squads, users and merchants (with CSV import)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Response

from streetorder.platform.api.deps import (
    AdminUser,
    AnyUser,
    SessionDep,
    SquadStaff,
    SquadUser,
    StateDep,
)
from streetorder.platform.api.scope import squad_limit
from streetorder.platform.schemas.common import Id, Offset, Page
from streetorder.platform.schemas.registry import (
    Colour,
    ImportReport,
    MerchantCreate,
    MerchantPublic,
    MerchantUpdate,
    SquadCreate,
    SquadPublic,
    StreetCreate,
    StreetPublic,
    UserCreate,
    UserCreated,
    UserPublic,
    UserUpdate,
)
from streetorder.platform.services import registry as svc

streets = APIRouter(prefix="/streets", tags=["registry"])
squads = APIRouter(prefix="/squads", tags=["registry"])
users = APIRouter(prefix="/users", tags=["users"])
merchants = APIRouter(prefix="/merchants", tags=["merchants"])
CsvBody = Annotated[str, Body(media_type="text/csv", description="UTF-8 CSV with a header row.")]


@streets.get("", response_model=list[StreetPublic])
def list_streets(session: SessionDep, actor: AnyUser) -> list[StreetPublic]:
    return [StreetPublic.model_validate(s) for s in svc.list_streets(session)]


@streets.post("", response_model=StreetPublic, status_code=201)
def create_street(body: StreetCreate, session: SessionDep, actor: AdminUser) -> StreetPublic:
    return StreetPublic.model_validate(svc.create_street(session, data=body))


@squads.get("", response_model=list[SquadPublic])
def list_squads(session: SessionDep, actor: AnyUser) -> list[SquadPublic]:
    return [SquadPublic.model_validate(s) for s in svc.list_squads(session)]


@squads.post("", response_model=SquadPublic, status_code=201)
def create_squad(body: SquadCreate, session: SessionDep, actor: AdminUser) -> SquadPublic:
    return SquadPublic.model_validate(svc.create_squad(session, data=body))


@users.get("", response_model=list[UserPublic])
def list_users(session: SessionDep, actor: AdminUser, role: str | None = None) -> list[UserPublic]:
    return [UserPublic.model_validate(u) for u in svc.list_users(session, role=role)]


@users.post("", response_model=UserCreated, status_code=201, summary="Create a login")
def create_user(
    body: UserCreate, session: SessionDep, actor: AdminUser, state: StateDep
) -> UserCreated:
    user, api_key = svc.create_user(
        session, data=body, bcrypt_rounds=state.settings.auth.bcrypt_rounds
    )
    out = UserCreated.model_validate(user)
    out.api_key = api_key
    return out


@users.patch("/{user_id}", response_model=UserPublic)
def update_user(
    user_id: Id, body: UserUpdate, session: SessionDep, actor: AdminUser, state: StateDep
) -> UserPublic:
    rounds = state.settings.auth.bcrypt_rounds
    return UserPublic.model_validate(
        svc.update_user(session, user_id=user_id, data=body, bcrypt_rounds=rounds)
    )


@merchants.get("", response_model=Page[MerchantPublic])
def list_merchants(
    session: SessionDep, actor: SquadUser, q: str | None = None, street_code: str | None = None,
    risk_colour: Colour | None = None, offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Page[MerchantPublic]:  # fmt: skip
    rows, count = svc.list_merchants(
        session, q=q, street_code=street_code, risk_colour=risk_colour, offset=offset, limit=limit,
        squad_id=squad_limit(actor),
    )  # fmt: skip
    return Page(data=[MerchantPublic.model_validate(m) for m in rows], count=count)


@merchants.post("", response_model=MerchantPublic, status_code=201)
def create_merchant(body: MerchantCreate, session: SessionDep, actor: AdminUser) -> MerchantPublic:
    return MerchantPublic.model_validate(svc.create_merchant(session, data=body))


@merchants.post("/import", response_model=ImportReport, summary="Create/update merchants from CSV")
def import_merchants(body: CsvBody, session: SessionDep, actor: AdminUser) -> ImportReport:
    return svc.import_merchants_csv(session, text=body)


@merchants.get("/{shop_id}", response_model=MerchantPublic)
def get_merchant(shop_id: str, session: SessionDep, actor: SquadUser) -> MerchantPublic:
    return MerchantPublic.model_validate(svc.get_merchant(session, shop_id=shop_id))


@merchants.patch("/{shop_id}", response_model=MerchantPublic)
def update_merchant(
    shop_id: str, body: MerchantUpdate, session: SessionDep, actor: SquadStaff
) -> MerchantPublic:
    return MerchantPublic.model_validate(svc.update_merchant(session, shop_id=shop_id, data=body))


@merchants.delete("/{shop_id}", status_code=204)
def delete_merchant(shop_id: str, session: SessionDep, actor: AdminUser) -> Response:
    svc.delete_merchant(session, shop_id=shop_id)
    return Response(status_code=204)
