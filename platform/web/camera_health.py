"""A camera's state as its edge node last reported it (heartbeat), for the console's camera list.

States and their meaning: docs/EDGE_NODE.md, "Camera states". Heartbeats from nodes older than
``since`` and ``reconnects`` simply show no "since".
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from streetorder.i18n import DEFAULT_LANGUAGE, text
from streetorder.platform.domain.workflow import format_local

#: States worth an operator's look (a class for the console's colours).
TROUBLE = {"stalled", "frozen", "reconnecting", "offline"}
#: The reasons an edge node's camera worker gives (edge/runtime/worker.py), as sentences of the
#: catalogue; anything else (a driver's own message) is shown as the node said it, labelled.
EDGE_REASONS = (
    (re.compile(r"no frame for (?P<seconds>\d+) s"), "camera_reason.no_frame"),
    (re.compile(r"the picture has not changed; frames not analysed"), "camera_reason.frozen"),
    (re.compile(r"source ended"), "camera_reason.source_ended"),
    (re.compile(r"stream ended"), "camera_reason.stream_ended"),
    (re.compile(r"pipeline: (?P<detail>.*)", re.S), "camera_reason.pipeline"),
)


def camera_reason(error: str, language: str = DEFAULT_LANGUAGE) -> str:
    """Why a camera is not online, in the reader's language."""
    error = error.strip()
    if not error:
        return ""
    for pattern, key in EDGE_REASONS:
        match = pattern.fullmatch(error)
        if match:
            return text(key, language, **match.groupdict())
    return text("camera_reason.other", language, detail=error)


def camera_health(
    last_heartbeat: dict[str, Any] | None,
    availability: str | None,
    camera_code: str,
    tz: ZoneInfo,
    language: str = DEFAULT_LANGUAGE,
) -> dict[str, Any]:
    """``state``, ``since`` (local time text), ``reason`` and ``stale`` (the node is offline, so
    the state is its last word) of one camera; state ``unknown`` before any heartbeat."""
    stats = next(
        (c for c in (last_heartbeat or {}).get("cameras", []) if c.get("camera_id") == camera_code),
        None,
    )
    if stats is None:  # no word about the camera; a node gone offline watches nothing
        offline = availability == "offline"
        state = "offline" if offline else "unknown"
        return {"state": state, "since": "", "reason": "", "stale": offline, "trouble": offline}
    since = stats.get("since")
    state = str(stats.get("state", "unknown"))
    return {
        "state": state,
        "since": format_local(datetime.fromisoformat(since), tz) if since else "",
        "reason": camera_reason(stats.get("error") or "", language),
        "stale": availability != "online",
        "trouble": state in TROUBLE,
    }
