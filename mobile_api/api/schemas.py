"""Request and response bodies of the officer app API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from streetorder.mobile_api.domain.checklist import Answer
from streetorder.mobile_api.domain.risk import Colour, InspectionResult
from streetorder.mobile_api.domain.urgency import TaskKind, TaskStatus

MAX_ID = 2**31 - 1


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text may not contain NUL characters")
    return value


def _sane_time(value: datetime) -> datetime:
    if not 2000 <= value.astimezone(UTC).year <= 2200:
        raise ValueError("time must be between the years 2000 and 2200")
    return value.astimezone(UTC)


def _aware_utc(value: datetime) -> datetime:
    """Query parameters: a time without zone is taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return _sane_time(value)


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Text = Annotated[str, AfterValidator(_no_nul)]
Note = Annotated[Text, Field(max_length=2000)]
Moment = Annotated[AwareDatetime, AfterValidator(_sane_time)]
QueryMoment = Annotated[datetime, AfterValidator(_aware_utc)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


class In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- auth ---------------------------------------------------------------------------------


class LoginIn(In):
    username: Annotated[Text, Field(min_length=1, max_length=64)]
    password: Annotated[Text, Field(min_length=1, max_length=200)]


class RefreshIn(In):
    refresh_token: Annotated[Text, Field(min_length=1, max_length=200)]


class UserOut(Out):
    id: int
    username: str
    display_name: str
    role: str
    squad_id: int | None


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime
    user: UserOut


class SquadOut(Out):
    id: int
    code: str
    name: str
    street_id: int


class MeOut(BaseModel):
    user: UserOut
    squad: SquadOut


# --- tasks --------------------------------------------------------------------------------


class MerchantBrief(Out):
    id: int
    shop_id: str
    name: str
    address: str
    risk_colour: str
    responsible_person: str
    mobile: str | None


class FileRef(BaseModel):
    id: int
    kind: str
    content_type: str
    sha256: str
    url: str


class PhotoOut(Out):
    id: int
    purpose: str
    work_order_id: int | None
    case_id: int | None
    inspection_id: int | None
    content_type: str
    size_bytes: int
    width: int
    height: int
    sha256: str
    original_sha256: str
    original_format: str
    captured_at: datetime | None
    latitude: float | None
    longitude: float | None
    uploaded_by: int
    uploaded_at: datetime
    url: str = ""


class WorkOrderBrief(BaseModel):
    id: int
    round: int
    state: str
    instructions: str
    deadline_at: datetime
    acknowledged_at: datetime | None
    case_id: int
    case_number: str
    case_state: str
    track: str | None
    discovered_at: datetime
    evidence: list[FileRef]


class SpecialBrief(Out):
    id: int
    title: str
    description: str
    area: str | None


class TaskOut(BaseModel):
    id: str = Field(description="Unique across kinds, e.g. 'work_order:12'.")
    kind: TaskKind
    ref_id: int
    status: TaskStatus
    title: str
    place: str
    due_at: datetime
    time_left_seconds: int = Field(description="Negative when overdue.")
    overdue: bool
    updated_at: datetime
    merchant: MerchantBrief | None
    work_order: WorkOrderBrief | None = None
    special: SpecialBrief | None = None
    actions: list[str]


class TaskPage(BaseModel):
    data: list[TaskOut]
    count: int
    offset: int
    limit: int
    server_time: datetime = Field(
        description="Pass as changed_since next time to fetch only what changed."
    )


# --- work orders --------------------------------------------------------------------------


class FieldNoteIn(In):
    note: Note = ""
    latitude: Latitude | None = None
    longitude: Longitude | None = None


class ReasonIn(In):
    reason: Annotated[Note, Field(min_length=1)]


class CompleteIn(In):
    note: Note = ""


class VerifyIn(In):
    passed: bool
    note: Note = Field("", description="Required when the re-check fails (rework reason).")


class ActionOut(Out):
    id: int
    action: str
    note: str
    actor_id: int
    at: datetime
    latitude: float | None
    longitude: float | None


class WorkOrderDetail(BaseModel):
    task: TaskOut
    timeline: list[ActionOut]
    photos: list[PhotoOut]


class BeforeAfterFile(FileRef):
    time: datetime | None = Field(None, description="Alert time, or the photo's capture time.")
    latitude: float | None = None
    longitude: float | None = None
    source: str = Field(description="camera code, or the officer's name")


class BeforeAfter(BaseModel):
    work_order_id: int
    case_id: int
    case_number: str
    case_state: str
    merchant: MerchantBrief | None
    place: str
    before: list[BeforeAfterFile]
    after: list[BeforeAfterFile]
    rectified_at: datetime | None


# --- inspections --------------------------------------------------------------------------


class ChecklistItemOut(BaseModel):
    key: str
    label: str
    violation: bool


class InspectionIn(In):
    merchant_id: Id | None = None
    task_id: Id | None = None
    answers: dict[Annotated[Text, Field(max_length=48)], Answer] = Field(
        description="Every checklist item: pass, fail or n/a."
    )
    notes: Note = ""
    photo_ids: list[Id] = Field(default_factory=list, max_length=20)


class ColourChangeOut(BaseModel):
    before: Colour
    after: Colour
    cause: str


class InspectionOut(Out):
    id: int
    merchant_id: int
    task_id: int | None
    officer_id: int
    inspected_at: datetime
    checklist: dict[str, str]
    result: InspectionResult
    notes: str
    colour_before: Colour
    colour_after: Colour
    colour_change: ColourChangeOut | None = None
    closed_task_ids: list[int] = Field(default_factory=list)
    photo_ids: list[int] = Field(default_factory=list)


class InspectionPage(BaseModel):
    data: list[InspectionOut]
    count: int


class RiskEventOut(Out):
    at: datetime
    cause: str
    colour_before: Colour
    colour_after: Colour
    case_id: int | None
    inspection_id: int | None


class RiskOut(BaseModel):
    merchant: MerchantBrief
    clean_run: int
    last_inspected_at: datetime | None
    next_due_at: datetime
    changes: list[RiskEventOut]


class SpecialIn(In):
    title: Annotated[Text, Field(min_length=1, max_length=200)]
    description: Annotated[Text, Field(max_length=2000)] = ""
    due_at: Moment
    merchant_ids: list[Id] = Field(default_factory=list, max_length=1000)
    area: Annotated[Text, Field(max_length=200)] | None = Field(
        None, description="Every shop of the squad whose address contains this text."
    )


class SpecialOut(Out):
    id: int
    squad_id: int
    title: str
    description: str
    area: str | None
    due_at: datetime
    created_by: int
    created_at: datetime
    task_ids: list[int] = Field(default_factory=list)
    done: int = 0


# --- summary ------------------------------------------------------------------------------


class DueCounts(BaseModel):
    due: int
    overdue: int


class SummaryOut(BaseModel):
    squad: SquadOut
    at: datetime
    shops_by_colour: dict[str, int]
    inspections: DueCounts
    special: DueCounts
    work_orders: DueCounts
    due_next_24h: int
    inspected_last_7_days: int
    overdue_shop_ids: list[int]
