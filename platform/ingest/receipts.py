"""End-to-end receipts: after a batch commits, each sender learns what became of its messages.

One :class:`~streetorder.contracts.Receipt` per node and batch (at most ``MAX_ENTRIES``
entries each), published QoS 1 on ``streetorder/v1/{node}/receipts`` by the replica that
committed. A receipt lost on the way only costs a re-send, which the unique alert id turns
into a ``duplicate`` receipt.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from pydantic import TypeAdapter, ValidationError

from streetorder.contracts import Receipt, ReceiptEntry, topics
from streetorder.contracts.camera import Identifier

MAX_ENTRIES = 500
MAX_REASON = 500
#: Ingest topic suffix → the message kind a receipt names.
RECEIPTED = {"alerts": "alert", "episodes": "episode_end"}
_node_id: TypeAdapter[str] = TypeAdapter(Identifier)


@dataclass(frozen=True)
class Line:
    """One receipt entry and the node it goes to."""

    node: str
    entry: ReceiptEntry


def line(node: str, message: str, alert_id: str, outcome: str, reason: str = "") -> Line:
    entry = ReceiptEntry(
        message=message,  # type: ignore[arg-type]
        alert_id=alert_id,
        outcome=outcome,  # type: ignore[arg-type]
        reason=reason[:MAX_REASON],
    )
    return Line(node, entry)


def rejected_line(topic: str, payload: bytes, reason: str) -> Line | None:
    """The receipt of a message refused before decoding, when its topic and payload still
    name a node and an alert id (a payload that does not gets no receipt)."""
    parts = topic.split("/")
    if len(parts) != 4 or "/".join(parts[:2]) != topics.ROOT or parts[3] not in RECEIPTED:
        return None
    try:
        raw = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    alert_id = raw.get("alert_id") if isinstance(raw, dict) else None
    if not isinstance(alert_id, str):
        return None
    try:
        node = _node_id.validate_python(parts[2])
        return line(node, RECEIPTED[parts[3]], alert_id, "rejected", reason)
    except ValidationError:  # the node or alert id is not a valid identifier
        return None


def receipts(lines: Iterable[Line], at: datetime) -> Iterator[tuple[str, Receipt]]:
    """(topic, receipt) per node, in the order the lines came, ``MAX_ENTRIES`` at a time."""
    by_node: dict[str, list[ReceiptEntry]] = {}
    for item in lines:
        by_node.setdefault(item.node, []).append(item.entry)
    for node, entries in by_node.items():
        for start in range(0, len(entries), MAX_ENTRIES):
            chunk = tuple(entries[start : start + MAX_ENTRIES])
            yield topics.receipts(node), Receipt(node_id=node, entries=chunk, at=at)
