"""Work orders and SMS move through declared lifecycles: refusals say why (409), every
transition leaves an audit row, and the officer app's buttons are the allowed events."""

from __future__ import annotations

import pytest

from streetorder.mobile_api.api.present import work_order_actions
from streetorder.platform.db import Case, SmsMessage, WorkOrder
from streetorder.platform.domain.errors import Forbidden, InvalidTransition
from streetorder.platform.domain.lifecycle import Lifecycle, step
from streetorder.platform.domain.roles import Role
from streetorder.platform.domain.sms import LIFECYCLE as SMS
from streetorder.platform.domain.work_orders import LIFECYCLE as ORDERS
from streetorder.platform.domain.workflow import Workflow
from streetorder.platform.services import lifecycle_audit, sms
from tests.platform.conftest import Platform

WAITING = {"case_state": "notified_dispatched"}


@pytest.mark.parametrize(
    ("lifecycle", "state", "event", "role", "facts", "error", "reason"),
    [
        (ORDERS, "open", "acknowledge", Role.OFFICER, WAITING, None, ""),
        (ORDERS, "acknowledged", "acknowledge", Role.OFFICER, WAITING, InvalidTransition,
         "cannot acknowledge: the work order is acknowledged"),
        (ORDERS, "open", "acknowledge", Role.OFFICER, {"case_state": "rectified"},
         InvalidTransition, "cannot acknowledge: the case is rectified"),
        (ORDERS, "open", "complete", Role.OFFICER, WAITING, InvalidTransition,
         "cannot complete: the work order is open"),
        (ORDERS, "acknowledged", "complete", Role.OFFICER, WAITING, None, ""),
        (ORDERS, "done", "record", Role.OFFICER, WAITING, InvalidTransition,
         "cannot record: the work order is done"),
        (ORDERS, "open", "cancel", Role.OFFICER, WAITING, Forbidden,
         "role officer cannot cancel"),
        (ORDERS, "acknowledged", "cancel", Role.SYSTEM, {}, None, ""),
        (SMS, "queued", "claim", Role.SYSTEM, {}, None, ""),
        (SMS, "queued", "confirm_delivery", Role.ADMIN, {}, InvalidTransition,
         "cannot confirm_delivery: the SMS is queued"),
        (SMS, "sending", "retry", Role.SYSTEM, {"attempts": 5, "max_attempts": 5},
         InvalidTransition, "cannot retry: 5 of 5 attempts made"),
        (SMS, "sending", "retry", Role.SYSTEM, {"attempts": 4, "max_attempts": 5}, None, ""),
        (SMS, "sent", "report_failure", Role.REVIEWER, {}, None, ""),
        (SMS, "queued", "claim", Role.ADMIN, {}, Forbidden, "role admin cannot claim"),
        (SMS, "invalid_number", "claim", Role.SYSTEM, {}, InvalidTransition,
         "the SMS is invalid_number"),
    ],
)  # fmt: skip
def test_refusals_name_their_reason(lifecycle, state, event, role, facts, error, reason) -> None:
    refusal = lifecycle.refusal(state, event, role, None, facts)
    if error is None:
        assert refusal is None
    else:
        assert refusal is not None and refusal[0] is error and reason in refusal[1], refusal


def test_a_table_with_an_unknown_state_is_refused() -> None:
    with pytest.raises(ValueError, match=r"thing.go: unknown states \['nowhere'\]"):
        Lifecycle("thing", "thing", ["here"], ["here"], [step("go", ["here"], "nowhere", [])])


def test_allowed_events_for_an_officer() -> None:
    assert ORDERS.allowed("open", Role.OFFICER, None, WAITING) == [
        "acknowledge", "record", "reschedule",
    ]  # fmt: skip
    assert ORDERS.allowed("acknowledged", Role.OFFICER, None, WAITING) == [
        "record", "complete", "reschedule",
    ]  # fmt: skip
    assert ORDERS.allowed("open", Role.OFFICER, None, {"case_state": "rectified"}) == []


def _dispatched(platform: Platform) -> dict:
    alert = platform.alerts()
    platform.deliver(alert)
    case = platform.case_of(alert.alert_id)
    return platform.post("reviewer", f"/cases/{case['id']}/confirm")


def test_work_order_and_sms_transitions_are_audited_and_refused_with_409(
    platform: Platform,
) -> None:
    case = _dispatched(platform)
    with platform.db.session() as s:
        order = s.query(WorkOrder).filter_by(case_id=case["id"]).one()
        message = s.query(SmsMessage).filter_by(case_id=case["id"]).one()
        order_id, message_id = order.id, message.id
    # the confirmation sent the notice in the background; its delivery report is recorded
    assert message.state == "sent"
    platform.post("admin", f"/sms/{message_id}/delivery", {"delivered": True})
    with platform.db.session() as s:  # a message not sent yet has no delivery to report
        case_row = s.get(Case, case["id"])
        extra = sms.enqueue(
            s, case=case_row, stage="extra", template="rework", rules=platform.rules,
            now=platform.clock.now, deadline=platform.clock.now,
        )  # fmt: skip
        with pytest.raises(InvalidTransition, match="cannot confirm_delivery: the SMS is queued"):
            sms.record_delivery(s, message_id=extra.id, delivered=True, now=platform.clock.now)

    platform.post("officer", f"/work-orders/{order_id}/acknowledge")
    again = platform.post("officer", f"/work-orders/{order_id}/acknowledge", status=409)
    assert again["detail"] == "cannot acknowledge: the work order is acknowledged"
    platform.rectify_with_photo(case["id"])

    with platform.db.session() as s:
        order_trail = lifecycle_audit.history(s, subject="work_order", subject_id=order_id)
        sms_trail = lifecycle_audit.history(s, subject="sms", subject_id=message_id)
        assert [(r.event, r.from_state, r.to_state, r.actor_role) for r in order_trail] == [
            ("create", None, "open", "reviewer"),
            ("acknowledge", "open", "acknowledged", "officer"),
            ("complete", "acknowledged", "done", "officer"),
        ]
        assert [(r.event, r.to_state) for r in sms_trail] == [
            ("create", "queued"), ("claim", "sending"), ("accept", "sent"),
            ("confirm_delivery", "delivered"),
        ]  # fmt: skip
        assert all(r.case_id == case["id"] for r in order_trail + sms_trail)


def test_the_officer_buttons_follow_both_lifecycles(platform: Platform) -> None:
    case = _dispatched(platform)
    workflow = Workflow()
    with platform.db.session() as s:
        order = s.query(WorkOrder).filter_by(case_id=case["id"]).one()
        c, now = order.case, platform.clock.now
        assert work_order_actions(order, c, Role.OFFICER, workflow, now) == [
            "acknowledge", "order_to_correct", "add_photo", "extension", "refusal",
        ]  # fmt: skip
        order.state = "acknowledged"
        assert work_order_actions(order, c, Role.OFFICER, workflow, now) == [
            "order_to_correct", "add_photo", "complete", "extension", "refusal",
        ]  # fmt: skip
        c.extension_count = workflow.limits.max_extensions  # no extension left: no button
        assert "extension" not in work_order_actions(order, c, Role.OFFICER, workflow, now)
        assert work_order_actions(order, c, Role.REVIEWER, workflow, now) == []
        c.state = "rectified"
        assert work_order_actions(order, c, Role.OFFICER, workflow, now) == ["before_after"]
        s.rollback()
