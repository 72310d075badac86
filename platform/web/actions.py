"""The console's verbs, each one call of the platform's case services in one transaction.

No workflow rule lives here: the services check roles and states, write the audit trail, the SMS
and the work order. This module only turns the outcome into what the page shows.
"""

from __future__ import annotations

from typing import Any

from streetorder.i18n import Reason, reason_text
from streetorder.platform.db import Case
from streetorder.platform.domain.errors import (
    DomainError,
    Forbidden,
    InvalidInput,
    InvalidTransition,
)
from streetorder.platform.domain.roles import Actor
from streetorder.platform.domain.workflow import Event, Workflow, format_local
from streetorder.platform.services import case_reads, ignore_regions
from streetorder.platform.services import cases as case_service
from streetorder.platform.services.rules import Rules
from streetorder.platform.web import zone_sync
from streetorder.platform.web.context import ConsoleContext
from streetorder.platform.web.views import Translate, label


def rules(ctx: ConsoleContext) -> Rules:
    return ctx.rules


def workflow(ctx: ConsoleContext) -> Workflow:
    return ctx.rules.workflow


def _outcome(ctx: ConsoleContext, case_id: int, verdict: str, t: Translate) -> dict[str, Any]:
    with ctx.db.session() as session:
        case = session.get(Case, case_id)
        assert case is not None
        sms = case_reads.sms_of(session, case_id=case_id)
        orders = case_reads.orders_of(session, case_id=case_id)
        order = orders[-1] if orders else None
        summary = t(f"queue.{verdict}", number=case.number)
        if order is not None:
            sms_state = label(t, "sms_state", sms[-1].state) if sms else t("queue.sms_not_sent")
            deadline = format_local(order.deadline_at, ctx.tz)
            summary += ": " + t("queue.outcome_order", sms=sms_state, deadline=deadline)
        if case.exemption_note:
            summary += f" ({case.exemption_note})"
        return {
            "case_id": case.id,
            "number": case.number,
            "state": case.state,
            "track": case.track,
            "summary": summary,
            "sms": [{"stage": m.stage, "state": m.state} for m in sms],
            "work_order": None
            if order is None
            else {"round": order.round, "deadline_at": order.deadline_at.isoformat()},
        }


def current_state(ctx: ConsoleContext, case_id: int) -> str | None:
    with ctx.db.session() as session:
        case = session.get(Case, case_id)
        return case.state if case is not None else None


def confirm(ctx: ConsoleContext, actor: Actor, case_id: int, t: Translate) -> dict[str, Any]:
    """Confirm: the service decides the track, queues the SMS and dispatches the work order."""
    with ctx.db.session() as session:
        case_service.confirm(session, case_id=case_id, actor=actor, rules=rules(ctx), now=ctx.now())
    return _outcome(ctx, case_id, "confirmed", t)


def reject(
    ctx: ConsoleContext, actor: Actor, case_id: int, reason: str, t: Translate
) -> dict[str, Any]:
    with ctx.db.session() as session:
        case_service.reject(
            session, case_id=case_id, actor=actor, reason=reason, rules=rules(ctx), now=ctx.now()
        )
    zone_sync.publish_pending(ctx)  # a fixed structure's new ignore regions go to the node
    outcome = _outcome(ctx, case_id, "rejected", t)
    with ctx.db.session() as session:
        masks = [r.code for r in ignore_regions.of_case(session, case_id=case_id)]
    if masks:
        outcome["summary"] += "; " + t("queue.ignored_after", codes=", ".join(masks))
    return outcome


def refusal_text(
    ctx: ConsoleContext, case_id: int, exc: DomainError, action: str, t: Translate
) -> str:
    """Why the console did not do ``action`` (a catalogue key's label), in the viewer's words."""
    what = t(action)
    if isinstance(exc, InvalidTransition) and _key(exc) == "refusal.wrong_state":  # wrong step
        return t("error.not_now", state=label(t, "state", current_state(ctx, case_id)), action=what)
    if isinstance(exc, Forbidden):
        return t("error.role", action=what)
    return t("error.input", action=what, reason=reason_text(exc, t.language))


def _key(exc: DomainError) -> str | None:
    return getattr(exc.args[0], "key", None) if exc.args else None


def apply_event(ctx: ConsoleContext, actor: Actor, case_id: int, event: Event, note: str) -> None:
    """A case-page button: urge, verify, rework (reason required) or close."""
    common = {"case_id": case_id, "actor": actor, "rules": rules(ctx), "now": ctx.now()}
    with ctx.db.session() as session:
        match event:
            case Event.URGE:
                case_service.urge(session, **common, note=note)
            case Event.VERIFY:
                case_service.verify(session, **common, note=note)
            case Event.REWORK:
                case_service.rework(session, **common, reason=note)
            case Event.CLOSE:
                case_service.close(session, **common, note=note)
            case _:
                raise InvalidInput(Reason("refusal.not_a_case_action", event=event.value))
