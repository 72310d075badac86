"""The SMS message's lifecycle, in one table.

::

    (enqueue) → queued ─claim→ sending ─accept→ sent ─confirm_delivery→ delivered
                invalid_number     │  └retry→ retrying ─claim→ sending
                                   └fail→ failed
    sent, delivered, failed ─confirm_delivery / report_failure→ (a delivery report)
    sending ─claim→ sending   (the lease of a crashed sender ran out)

Only the platform moves a message (the sender, the gateway's report); an operator may record a
delivery report for the outbox provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from streetorder.i18n import Reason
from streetorder.platform.domain.lifecycle import Lifecycle, step
from streetorder.platform.domain.roles import Role

#: The stage of an SMS to a citizen reporter (Open311), ``reporter-<report id>``: the reporter's
#: number is shown to the command centre only, never on a case page or to a squad.
REPORTER_STAGE_PREFIX = "reporter-"


class SmsState(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    RETRYING = "retrying"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    INVALID_NUMBER = "invalid_number"


class SmsEvent(StrEnum):
    CLAIM = "claim"
    ACCEPT = "accept"  # the gateway took the message
    RETRY = "retry"
    FAIL = "fail"
    CONFIRM_DELIVERY = "confirm_delivery"  # a delivery report: arrived
    REPORT_FAILURE = "report_failure"  # a delivery report: did not arrive


#: States a sender picks messages from.
DUE_STATES = frozenset({SmsState.QUEUED, SmsState.RETRYING, SmsState.SENDING})
REPORTED = frozenset({SmsState.SENT, SmsState.DELIVERED, SmsState.FAILED})
REPORTERS = (Role.SYSTEM, Role.REVIEWER, Role.ADMIN)


def _attempts_left(_message: Any, facts: Mapping[str, Any]) -> str | None:
    attempts, limit = facts.get("attempts", 0), facts.get("max_attempts")
    if limit is not None and attempts >= limit:
        return Reason("refusal.attempts_made", attempts=attempts, limit=limit)
    return None


S, E = SmsState, SmsEvent
# fmt: off
LIFECYCLE = Lifecycle(
    "sms", "SMS", states=list(S), initial=[S.QUEUED, S.INVALID_NUMBER],
    steps=[
        step(E.CLAIM, DUE_STATES, S.SENDING, [Role.SYSTEM],
             description="a sender takes the message for a lease"),
        step(E.ACCEPT, [S.SENDING], S.SENT, [Role.SYSTEM], description="the gateway took it"),
        step(E.RETRY, [S.SENDING], S.RETRYING, [Role.SYSTEM], guards=(_attempts_left,),
             description="a retryable failure: try again after a backoff"),
        step(E.FAIL, [S.SENDING], S.FAILED, [Role.SYSTEM],
             description="failed for good (or no attempts left)"),
        step(E.CONFIRM_DELIVERY, REPORTED, S.DELIVERED, REPORTERS,
             description="the delivery report says it arrived"),
        step(E.REPORT_FAILURE, REPORTED, S.FAILED, REPORTERS,
             description="the delivery report says it did not arrive"),
    ],
)
# fmt: on
