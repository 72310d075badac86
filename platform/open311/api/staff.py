"""Open311 for the command centre (under ``/api/v1``): admins manage the trusted clients'
API keys; reviewers read a case's reports and name the shop of an unmatched one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from streetorder.platform.api.deps import AdminUser, NowDep, RulesDep, SessionDep, api_scope
from streetorder.platform.db import CitizenReport
from streetorder.platform.domain.roles import Actor, Role
from streetorder.platform.open311 import clients, intake, reads
from streetorder.platform.services.cases import get_case

router = APIRouter(tags=["open311"])
#: the command centre, on a case (squad data: the rule resolves case_id)
Reviewer = Annotated[Actor, api_scope.squad("case", Role.REVIEWER, Role.ADMIN)]


class ClientIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    source: Literal["hotline", "citizen"] = "hotline"


class ClientOut(BaseModel):
    id: int
    name: str
    source: str
    active: bool
    created_at: datetime
    revoked_at: datetime | None = None


class ClientCreated(ClientOut):
    api_key: str = Field(description="Shown once; only its hash is stored.")


class ShopIn(BaseModel):
    shop_id: str = Field(min_length=1, max_length=64)


class ReportForReview(BaseModel):
    """A report as the command centre sees it: the reporter's phone masked, no name or e-mail."""

    service_request_id: str
    source: str
    service_code: str
    requested_at: datetime
    description: str
    address: str
    lat: float | None
    long: float | None
    media_url: str | None
    photo_ids: list[int]
    shop_matched: bool
    match_distance_m: float | None
    joined_open_case: bool
    reporter_phone: str
    sms_consent: bool

    @classmethod
    def of(cls, r: CitizenReport) -> ReportForReview:
        phone = r.reporter_phone or ""
        return cls(
            service_request_id=intake.public_id(r.id), source=r.source,
            service_code=r.service_code, requested_at=r.requested_at,
            description=r.description, address=r.address, lat=r.latitude, long=r.longitude,
            media_url=r.media_url, photo_ids=list(r.photo_ids), shop_matched=r.merchant_id
            is not None, match_distance_m=r.match_distance_m,
            joined_open_case=r.joined_open_case,
            reporter_phone=phone[:3] + "****" + phone[-4:] if phone else "",
            sms_consent=r.sms_consent,
        )  # fmt: skip


@router.post("/open311/clients", response_model=ClientCreated, status_code=201)
def create_client(body: ClientIn, session: SessionDep, actor: AdminUser, now: NowDep):
    client, key = clients.create(session, name=body.name, source=body.source, actor=actor, now=now)
    return ClientCreated(**ClientOut.model_validate(client, from_attributes=True).model_dump(),
                         api_key=key)  # fmt: skip


@router.get("/open311/clients", response_model=list[ClientOut])
def list_clients(session: SessionDep, actor: AdminUser) -> list[ClientOut]:
    return [ClientOut.model_validate(c, from_attributes=True) for c in clients.all_clients(session)]


@router.delete("/open311/clients/{client_id}", response_model=ClientOut)
def revoke_client(client_id: int, session: SessionDep, actor: AdminUser, now: NowDep):
    return ClientOut.model_validate(
        clients.revoke(session, client_id=client_id, now=now), from_attributes=True
    )


@router.get("/cases/{case_id}/reports", response_model=list[ReportForReview])
def case_reports(case_id: int, session: SessionDep, actor: Reviewer) -> list[ReportForReview]:
    get_case(session, case_id=case_id, actor=actor)
    return [ReportForReview.of(r) for r in reads.reports_of_case(session, case_id=case_id)]


@router.post("/cases/{case_id}/shop", summary="Name the shop of a reported case")
def assign_shop(
    case_id: int, body: ShopIn, session: SessionDep, actor: Reviewer, rules: RulesDep,
    now: NowDep,
) -> dict[str, object]:  # fmt: skip
    case = intake.assign_shop(
        session, case_id=case_id, shop_id=body.shop_id, actor=actor, rules=rules, now=now
    )
    return {"case_id": case.id, "shop_id": case.shop_id, "squad_id": case.squad_id}
