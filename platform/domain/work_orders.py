"""The work order's lifecycle, in one table.

::

    (dispatch) → open ─acknowledge→ acknowledged ─complete→ done
                 open, acknowledged ─cancel→ cancelled        (a new round replaced it)
                 open, acknowledged ↺ record (field notes, photos), reschedule (extension)

An officer works on an order only while its case waits for the correction
(``notified_dispatched``): the guards say so. The case's ``rectify`` completes the order, which
must be acknowledged first (the services acknowledge it for the rectifying officer if needed).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from streetorder.i18n import Reason
from streetorder.i18n.reasons import term
from streetorder.platform.domain.lifecycle import Lifecycle, step
from streetorder.platform.domain.roles import Role
from streetorder.platform.domain.workflow import State as CaseState


class OrderState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    DONE = "done"
    CANCELLED = "cancelled"


class OrderEvent(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    RECORD = "record"  # a field record: ordered to correct, a photo, the merchant refused
    RESCHEDULE = "reschedule"  # the case's correction deadline moved (extension)
    COMPLETE = "complete"  # the case was rectified
    CANCEL = "cancel"


OPEN_STATES = frozenset({OrderState.OPEN, OrderState.ACKNOWLEDGED})
FIELD = (Role.OFFICER, Role.SQUAD_LEADER, Role.ADMIN)


def _case_awaits_correction(_order: Any, facts: Mapping[str, Any]) -> str | None:
    case_state = facts.get("case_state")
    if case_state is not None and case_state != CaseState.NOTIFIED_DISPATCHED:
        return Reason("refusal.case_is", state=term("state", case_state))
    return None


S, E = OrderState, OrderEvent
# fmt: off
LIFECYCLE = Lifecycle(
    "work_order", "work order", states=list(S), initial=[S.OPEN],
    steps=[
        step(E.ACKNOWLEDGE, [S.OPEN], S.ACKNOWLEDGED, FIELD, guards=(_case_awaits_correction,),
             description="an officer takes the order"),
        step(E.RECORD, OPEN_STATES, None, FIELD, guards=(_case_awaits_correction,),
             description="a field record: ordered to correct, a photo, a refusal"),
        step(E.COMPLETE, [S.ACKNOWLEDGED], S.DONE, [*FIELD, Role.SYSTEM],
             description="the case was rectified (photo in): the order is done"),
        step(E.RESCHEDULE, OPEN_STATES, None, [*FIELD, Role.SYSTEM],
             guards=(_case_awaits_correction,),
             description="the correction deadline moved (extension)"),
        step(E.CANCEL, OPEN_STATES, S.CANCELLED, [Role.SYSTEM, Role.REVIEWER, Role.ADMIN],
             description="replaced by a new round, or no longer needed"),
    ],
)
# fmt: on
