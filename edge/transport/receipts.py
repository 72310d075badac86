"""The platform's end-to-end receipts, applied to the outbox.

A receipt names messages by kind and alert id; the outbox knows them by message id. The node
queues an alert as its ``alert_id`` and an episode end as ``end-<alert_id>``
(:func:`outbox_id`), so one receipt entry maps to one outbox row.
"""

from __future__ import annotations

import logging

from streetorder.contracts import Receipt, decode
from streetorder.edge.transport.queue import Outbox
from streetorder.errors import ContractError

log = logging.getLogger(__name__)


def outbox_id(message: str, alert_id: str) -> str:
    """The outbox id of an alert (``alert``) or an episode end (``episode_end``)."""
    return alert_id if message == "alert" else f"end-{alert_id}"


def apply_receipt(outbox: Outbox, payload: bytes, node_id: str) -> int:
    """Settle the messages a receipt names; return how many were waiting. Bad receipts are
    logged and ignored (the messages stay and are re-sent)."""
    try:
        receipt = decode(payload)
    except ContractError as exc:
        log.warning("receipt ignored: %s", exc)
        return 0
    if not isinstance(receipt, Receipt) or receipt.node_id != node_id:
        log.warning("receipt ignored: a %s for node %r", receipt.kind, receipt.node_id)
        return 0
    settled = 0
    for entry in receipt.entries:
        msg_id = outbox_id(entry.message, entry.alert_id)
        if not outbox.settle(msg_id, entry.outcome, entry.reason):
            continue
        settled += 1
        if entry.outcome == "rejected":
            log.error("the platform rejected %s: %s (not sent again)", msg_id, entry.reason)
        elif entry.outcome == "retry":
            log.info("the platform cannot store %s yet: %s", msg_id, entry.reason)
    return settled
