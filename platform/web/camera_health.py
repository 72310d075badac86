"""A camera's state as its edge node last reported it (heartbeat), for the console's camera list.

States and their meaning: docs/EDGE_NODE.md, "Camera states". Heartbeats from nodes older than
``since`` and ``reconnects`` simply show no "since".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from streetorder.platform.domain.workflow import format_local

#: States worth an operator's look (a class for the console's colours).
TROUBLE = {"stalled", "frozen", "reconnecting", "offline"}


def camera_health(
    last_heartbeat: dict[str, Any] | None,
    availability: str | None,
    camera_code: str,
    tz: ZoneInfo,
) -> dict[str, Any]:
    """``state``, ``since`` (local time text), ``reason`` and ``stale`` (the node is offline, so
    the state is its last word) of one camera; state ``unknown`` before any heartbeat."""
    stats = next(
        (c for c in (last_heartbeat or {}).get("cameras", []) if c.get("camera_id") == camera_code),
        None,
    )
    if stats is None:
        return {"state": "unknown", "since": "", "reason": "", "stale": False, "trouble": False}
    since = stats.get("since")
    state = str(stats.get("state", "unknown"))
    return {
        "state": state,
        "since": format_local(datetime.fromisoformat(since), tz) if since else "",
        "reason": stats.get("error") or "",
        "stale": availability != "online",
        "trouble": state in TROUBLE,
    }
