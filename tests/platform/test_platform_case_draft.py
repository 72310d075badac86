"""Cases start in the workflow: ``Workflow.open`` gives the draft and audit the ingest stores."""

from __future__ import annotations

import dataclasses
import typing
from datetime import UTC, datetime, timedelta

from streetorder.platform.domain.roles import SYSTEM, Actor, Role
from streetorder.platform.domain.workflow import (
    CaseDraft,
    CaseLike,
    Event,
    Limits,
    State,
    Track,
    Workflow,
)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_the_draft_has_exactly_the_fields_the_workflow_keeps() -> None:
    like = set(typing.get_type_hints(CaseLike))
    draft = {f.name for f in dataclasses.fields(CaseDraft)}
    assert draft == like


def test_open_discovers_and_registers_with_the_review_deadline() -> None:
    workflow = Workflow(Limits(review=timedelta(hours=2)))
    seen = T0 - timedelta(minutes=7)
    draft, records = workflow.open(discovered_at=seen, actor=SYSTEM, now=T0, note="alert a-1")
    assert [r.event for r in records] == [Event.DISCOVER, Event.REGISTER]
    assert [r.to_state for r in records] == [State.DISCOVERED, State.PENDING_REVIEW]
    assert records[0].note == "alert a-1"
    fields = draft.fields()
    assert fields["state"] == State.PENDING_REVIEW.value
    assert fields["discovered_at"] == seen and fields["step_started_at"] == T0
    assert fields["deadline_at"] == T0 + timedelta(hours=2)
    assert fields["urge_count"] == fields["extension_count"] == fields["rework_count"] == 0
    reminder = workflow.apply(draft, Event.REMINDER, SYSTEM, now=T0 + timedelta(minutes=5))
    assert reminder.to_state == State.PENDING_REVIEW


def test_confirm_sets_the_track_decided_for_it_in_the_workflow() -> None:
    workflow = Workflow()
    draft, _ = workflow.open(discovered_at=T0, actor=SYSTEM, now=T0, note="alert a-2")
    reviewer = Actor(Role.REVIEWER, "reviewer", user_id=1)
    data = {"track": Track.PENALTY.value, "exemption": "second offence within 365 days"}
    record = workflow.apply(draft, Event.CONFIRM, reviewer, now=T0, data=data)
    assert draft.track == Track.PENALTY.value and draft.confirmed_at == T0
    assert record.data == data  # the audit row says which track and why
