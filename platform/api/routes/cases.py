"""Cases: the review queue, case pages and every workflow step."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, File, Query, UploadFile
from sqlalchemy.orm import Session

from streetorder.platform.api.background import deliver_sms
from streetorder.platform.api.deps import (
    AdminUser,
    NowDep,
    RulesDep,
    SessionDep,
    SquadStaff,
    SquadUser,
    StateDep,
)
from streetorder.platform.api.routes.nodes import publish_pending
from streetorder.platform.api.scope import squad_limit
from streetorder.platform.db import Case
from streetorder.platform.domain.roles import Actor
from streetorder.platform.domain.workflow import State
from streetorder.platform.imaging.validate import clean_image, read_limited
from streetorder.platform.schemas.cases import (
    CaseDetail,
    CaseEventPublic,
    CasePublic,
    CaseStats,
    EvidenceFilePublic,
    FineIn,
    Note,
    PaymentIn,
    PenaltyPublic,
    Reason,
    RectifyIn,
    detail_of,
)
from streetorder.platform.schemas.common import Id, Offset, Page
from streetorder.platform.services import case_reads, evidence
from streetorder.platform.services import cases as svc

router = APIRouter(prefix="/cases", tags=["cases"])
Limit = Annotated[int, Query(ge=1, le=500)]


def _detail(session: Session, case: Case, actor: Actor, rules, now) -> CaseDetail:
    penalty = svc.get_penalty(session, case_id=case.id)
    due = None
    if penalty is not None and penalty.due_at is not None and penalty.paid_at is None:
        due = svc.amount_due(penalty, rules=rules, now=now)
    return detail_of(
        case, rules=rules, now=now, role=actor.role,
        events=svc.timeline(session, case_id=case.id),
        evidence=evidence.case_files(session, case=case),
        alerts=case_reads.alerts_of(session, case_id=case.id),
        sms=case_reads.sms_of(session, case_id=case.id),
        orders=case_reads.orders_of(session, case_id=case.id),
        penalty=penalty, amount_due_now=due,
    )  # fmt: skip


#: where a case came from: a camera's alert, a citizen's report or the 12345 hotline (Open311)
SourceQuery = Annotated[Literal["camera", "citizen", "hotline"] | None, Query()]


@router.get("", response_model=Page[CasePublic], summary="List cases (filters, paging)")
def list_cases(
    session: SessionDep, actor: SquadUser, rules: RulesDep, now: NowDep,
    state: str | None = None, track: Literal["exempt", "penalty"] | None = None,
    overdue: bool | None = Query(None, description="Only cases with (or without) a yellow light."),
    squad_id: Id | None = None, street_id: Id | None = None, merchant_id: Id | None = None,
    order: Literal["oldest", "newest"] = "oldest", offset: Offset = 0,
    limit: Limit = 50, source: SourceQuery = None,
) -> Page[CasePublic]:  # fmt: skip
    filters = svc.CaseFilter(
        state=state, track=track, overdue=overdue, squad_id=squad_id, street_id=street_id,
        merchant_id=merchant_id, source=source,
    )  # fmt: skip
    rows, count = svc.list_cases(
        session, actor=actor, filters=filters, now=now, oldest_first=order == "oldest",
        offset=offset, limit=limit,
    )  # fmt: skip
    return Page(
        data=[CasePublic.of(c, rules=rules, now=now, role=actor.role) for c in rows], count=count
    )


@router.get(
    "/review-queue", response_model=Page[CasePublic], summary="Pending review, oldest first"
)
def review_queue(
    session: SessionDep, actor: SquadStaff, rules: RulesDep, now: NowDep,
    offset: Offset = 0, limit: Limit = 50, source: SourceQuery = None,
) -> Page[CasePublic]:  # fmt: skip
    filters = svc.CaseFilter(state=State.PENDING_REVIEW.value, source=source)
    rows, count = svc.list_cases(
        session, actor=actor, filters=filters, now=now, offset=offset, limit=limit
    )
    return Page(
        data=[CasePublic.of(c, rules=rules, now=now, role=actor.role) for c in rows], count=count
    )


@router.get("/stats", response_model=CaseStats, summary="Counts for the command-centre screen")
def stats(session: SessionDep, actor: SquadStaff, now: NowDep) -> CaseStats:
    return CaseStats(**case_reads.stats(session, now=now, squad_id=squad_limit(actor)))


@router.post(
    "/escalate-overdue", response_model=list[int], summary="Escalate overdue first offences"
)
def escalate_overdue(
    session: SessionDep, actor: AdminUser, rules: RulesDep, now: NowDep
) -> list[int]:
    return svc.escalate_overdue(session, rules=rules, now=now)


@router.get("/{case_id}", response_model=CaseDetail, summary="A case with its full history")
def get_case(
    case_id: Id, session: SessionDep, actor: SquadUser, rules: RulesDep, now: NowDep
) -> CaseDetail:
    return _detail(session, svc.get_case(session, case_id=case_id, actor=actor), actor, rules, now)


@router.get("/{case_id}/events", response_model=list[CaseEventPublic], summary="Audit trail")
def events(case_id: Id, session: SessionDep, actor: SquadUser) -> list[CaseEventPublic]:
    svc.get_case(session, case_id=case_id, actor=actor)
    return [CaseEventPublic.model_validate(e) for e in svc.timeline(session, case_id=case_id)]


@router.get("/{case_id}/evidence", response_model=list[EvidenceFilePublic])
def case_evidence(case_id: Id, session: SessionDep, actor: SquadUser) -> list[EvidenceFilePublic]:
    case = svc.get_case(session, case_id=case_id, actor=actor)
    return [EvidenceFilePublic.of(f) for f in evidence.case_files(session, case=case)]


@router.post("/{case_id}/confirm", response_model=CaseDetail, summary="Confirm: SMS + work order")
def confirm(
    case_id: Id, body: Note, session: SessionDep, actor: SquadUser, rules: RulesDep, now: NowDep,
    state: StateDep, tasks: BackgroundTasks,
) -> CaseDetail:  # fmt: skip
    case = svc.confirm(session, case_id=case_id, actor=actor, rules=rules, now=now, note=body.note)
    tasks.add_task(deliver_sms, state)  # after commit: the SMS goes out right away
    return _detail(session, case, actor, rules, now)


@router.post("/{case_id}/reject", response_model=CaseDetail, summary="Reject (reason required)")
def reject(
    case_id: Id, body: Reason, session: SessionDep, actor: SquadUser, rules: RulesDep, now: NowDep,
    state: StateDep, tasks: BackgroundTasks,
) -> CaseDetail:  # fmt: skip
    case = svc.reject(
        session, case_id=case_id, actor=actor, rules=rules, now=now, reason=body.reason
    )
    tasks.add_task(publish_pending, state)  # after commit: a fixed structure's new masks
    return _detail(session, case, actor, rules, now)


@router.post(
    "/{case_id}/photos", response_model=EvidenceFilePublic, status_code=201,
    summary="Upload an after-correction photo (JPEG/PNG, at most 10 MB; stored re-encoded)",
    responses={
        413: {"description": "Larger than 10 MB."},
        415: {"description": "Not a JPEG or PNG."},
        422: {"description": "Empty, truncated, corrupt, too many pixels, or a file attached."},
    },
)  # fmt: skip
def upload_photo(
    case_id: Id, file: Annotated[UploadFile, File()], session: SessionDep, actor: SquadUser,
    state: StateDep, now: NowDep,
) -> EvidenceFilePublic:  # fmt: skip
    case = svc.get_case(session, case_id=case_id, actor=actor)
    data = read_limited(file.file, evidence.PHOTO_POLICY.max_bytes)
    photo = clean_image(data, evidence.PHOTO_POLICY)
    record = evidence.attach_case_photo(
        session, store=state.store, case=case, actor=actor, filename=file.filename or "photo",
        photo=photo, now=now,
    )  # fmt: skip
    return EvidenceFilePublic.of(record)


@router.post("/{case_id}/rectify", response_model=CaseDetail, summary="Rectified, with photo(s)")
def rectify(
    case_id: Id, body: RectifyIn, session: SessionDep, actor: SquadUser, rules: RulesDep,
    now: NowDep,
) -> CaseDetail:  # fmt: skip
    case = svc.rectify(
        session, case_id=case_id, actor=actor, rules=rules, now=now, photo_ids=body.photo_ids,
        note=body.note,
    )  # fmt: skip
    return _detail(session, case, actor, rules, now)


def _simple(action, *, reason: bool):
    """Routes for events that take only a note or a reason."""

    if reason:

        def handler(
            case_id: Id, body: Reason, session: SessionDep, actor: SquadUser, rules: RulesDep,
            now: NowDep,
        ) -> CaseDetail:  # fmt: skip
            case = action(
                session, case_id=case_id, actor=actor, rules=rules, now=now, reason=body.reason
            )
            return _detail(session, case, actor, rules, now)
    else:

        def handler(
            case_id: Id, body: Note, session: SessionDep, actor: SquadUser, rules: RulesDep,
            now: NowDep,
        ) -> CaseDetail:  # fmt: skip
            case = action(
                session, case_id=case_id, actor=actor, rules=rules, now=now, note=body.note
            )
            return _detail(session, case, actor, rules, now)

    return handler


router.post("/{case_id}/extend", response_model=CaseDetail, summary="Extend the deadline (reason)")(
    _simple(svc.extend, reason=True)
)
router.post("/{case_id}/urge", response_model=CaseDetail, summary="Urge the current step")(
    _simple(svc.urge, reason=False)
)
router.post(
    "/{case_id}/dispatch", response_model=CaseDetail,
    summary="Send the squad now (a notified case, before its grace period ends)",
)(_simple(svc.dispatch_now, reason=False))  # fmt: skip


@router.post("/{case_id}/rework", response_model=CaseDetail, summary="Verification failed (reason)")
def rework(
    case_id: Id, body: Reason, session: SessionDep, actor: SquadUser, rules: RulesDep, now: NowDep,
    state: StateDep, tasks: BackgroundTasks,
) -> CaseDetail:  # fmt: skip
    case = svc.rework(
        session, case_id=case_id, actor=actor, rules=rules, now=now, reason=body.reason
    )
    tasks.add_task(deliver_sms, state)
    return _detail(session, case, actor, rules, now)


router.post("/{case_id}/verify", response_model=CaseDetail, summary="Verified: pavement clear")(
    _simple(svc.verify, reason=False)
)
router.post("/{case_id}/close", response_model=CaseDetail, summary="Close the case")(
    _simple(svc.close, reason=False)
)


@router.post("/{case_id}/fine", response_model=CaseDetail, summary="Decide the fine; payment due")
def decide_fine(
    case_id: Id, body: FineIn, session: SessionDep, actor: SquadUser, rules: RulesDep, now: NowDep,
    state: StateDep, tasks: BackgroundTasks,
) -> CaseDetail:  # fmt: skip
    tasks.add_task(deliver_sms, state)
    svc.decide_fine(
        session, case_id=case_id, actor=actor, rules=rules, now=now, fine_cents=body.fine_cents,
        basis=body.basis,
    )  # fmt: skip
    return _detail(session, svc.get_case(session, case_id=case_id), actor, rules, now)


@router.post("/{case_id}/payment", response_model=CaseDetail, summary="Record the payment")
def record_payment(
    case_id: Id, body: PaymentIn, session: SessionDep, actor: SquadUser, rules: RulesDep,
    now: NowDep,
) -> CaseDetail:  # fmt: skip
    svc.record_payment(
        session, case_id=case_id, actor=actor, rules=rules, now=now, paid_cents=body.paid_cents,
        reference=body.reference,
    )  # fmt: skip
    return _detail(session, svc.get_case(session, case_id=case_id), actor, rules, now)


@router.get("/{case_id}/penalty", response_model=PenaltyPublic | None)
def penalty(case_id: Id, session: SessionDep, actor: SquadUser, rules: RulesDep, now: NowDep):
    svc.get_case(session, case_id=case_id, actor=actor)
    record = svc.get_penalty(session, case_id=case_id)
    if record is None:
        return None
    out = PenaltyPublic.model_validate(record)
    if record.due_at is not None and record.paid_at is None:
        out.amount_due_now_cents = svc.amount_due(record, rules=rules, now=now)
    return out
