"""Registry schemas: streets, squads, users, merchants, edge nodes, cameras, zones."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from streetorder.contracts.camera import ZoneRules
from streetorder.platform.domain.roles import Role
from streetorder.platform.schemas.common import In, Out

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Colour = Literal["red", "yellow", "green"]
LoginRole = Literal["reviewer", "squad_leader", "officer", "admin", "edge_node"]


class StreetCreate(In):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    district: str = ""


class StreetPublic(Out):
    id: int
    code: str
    name: str
    district: str


class SquadCreate(In):
    code: Code
    name: str = Field(min_length=1, max_length=200)
    street_code: Code


class SquadPublic(Out):
    id: int
    code: str
    name: str
    street_id: int


class UserCreate(In):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    display_name: str = ""
    role: LoginRole
    password: str | None = Field(None, description="Required for people; not for edge nodes.")
    squad_code: Code | None = Field(None, description="Officers and squad leaders.")
    node_code: Code | None = Field(None, description="Edge-node logins: the node it speaks for.")
    mobile: str | None = None


class UserUpdate(In):
    not_null = ("display_name", "password", "active")
    display_name: str | None = None
    password: str | None = None
    squad_code: Code | None = None
    active: bool | None = None


class UserPublic(Out):
    id: int
    username: str
    display_name: str
    role: Role
    squad_id: int | None
    node_id: int | None
    active: bool


class UserCreated(UserPublic):
    api_key: str | None = Field(None, description="Edge-node logins only; shown once.")


class MerchantCreate(In):
    shop_id: Code
    name: str = Field(min_length=1, max_length=200)
    address: str = Field("", max_length=300)
    credit_code: str | None = Field(None, description="Unified social credit code (18 chars).")
    responsible_person: str = Field("", max_length=100)
    mobile: str | None = Field(None, description="Mainland mobile of the responsible person.")
    risk_colour: Colour = "green"
    street_code: Code | None = None


class MerchantUpdate(In):
    not_null = ("name", "address", "responsible_person", "risk_colour")
    name: str | None = Field(None, min_length=1, max_length=200)
    address: str | None = Field(None, max_length=300)
    credit_code: str | None = None
    responsible_person: str | None = Field(None, max_length=100)
    mobile: str | None = None
    risk_colour: Colour | None = None
    street_code: Code | None = None


class MerchantPublic(Out):
    id: int
    shop_id: str
    name: str
    address: str
    credit_code: str | None
    responsible_person: str
    mobile: str | None
    risk_colour: str
    street_id: int | None
    created_at: datetime
    updated_at: datetime


class EdgeNodeCreate(In):
    code: Code
    name: str = ""
    street_code: Code | None = None


class EdgeNodePublic(Out):
    id: int
    code: str
    name: str
    street_id: int | None
    config_revision: int
    acked_revision: int
    availability: str
    last_seen_at: datetime | None


class CameraCreate(In):
    code: Code
    source: str = Field(min_length=1)
    analysis_interval_seconds: float = Field(1.0, gt=0, le=60)
    keyframes_only: bool = False
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    address: str = ""
    enabled: bool = True


class CameraUpdate(In):
    not_null = ("source", "analysis_interval_seconds", "keyframes_only", "address", "enabled")
    source: str | None = Field(None, min_length=1)
    analysis_interval_seconds: float | None = Field(None, gt=0, le=60)
    keyframes_only: bool | None = None
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    address: str | None = None
    enabled: bool | None = None


class CameraPublic(Out):
    id: int
    node_id: int
    code: str
    source: str
    analysis_interval_seconds: float
    keyframes_only: bool
    latitude: float | None
    longitude: float | None
    address: str
    enabled: bool


class ZoneCreate(In):
    code: Code
    shop_id: Code = Field(description="The merchant this frontage belongs to.")
    name: str = ""
    polygon: list[tuple[float, float]] = Field(min_length=3, description="Relative 0-1 (x, y).")
    rules: ZoneRules = ZoneRules()


class ZoneUpdate(In):
    shop_id: Code | None = None
    name: str | None = None
    polygon: list[tuple[float, float]] | None = Field(None, min_length=3)
    rules: ZoneRules | None = None


class ZonePublic(Out):
    id: int
    camera_id: int
    code: str
    merchant_id: int
    name: str
    polygon: list[list[float]]
    rules: dict[str, Any]


class IgnoreRegionPublic(Out):
    code: str
    box: list[float] = Field(description="x1, y1, x2, y2 relative to the frame (0-1).")
    reason: str
    alert_id: str | None
    case_id: int | None
    created_by: str
    created_at: datetime
    removed_by: str | None
    removed_at: datetime | None


class SceneReferenceIn(In):
    at: datetime | None = Field(
        None, description="The node takes the first frame it analyses at or after this moment "
        "(with a time zone, e.g. 2026-12-06T22:30:00+08:00).",
    )  # fmt: skip
    image: str | None = Field(None, description="Or: an image file on the node.")


class SceneReferencePublic(Out):
    at: datetime | None
    image: str | None
    set_by: str | None
    set_at: datetime | None


class ConfigPushPublic(Out):
    id: int
    revision: int
    issued_at: datetime
    published: bool
    ack_accepted: bool | None
    ack_reason: str | None
    acked_at: datetime | None


class ImportReport(Out):
    created: int
    updated: int
    errors: list[str] = Field(description="One line per refused row: line number and reason.")
