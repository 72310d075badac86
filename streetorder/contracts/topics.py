"""The MQTT topic scheme. Version 1 of the contract lives under ``streetorder/v1``.

| topic                              | direction        | QoS | retained | payload        |
|------------------------------------|------------------|-----|----------|----------------|
| ``streetorder/v1/{node}/alerts``   | edge → platform  | 1   | no       | Alert          |
| ``streetorder/v1/{node}/episodes`` | edge → platform  | 1   | no       | EpisodeEnd     |
| ``streetorder/v1/{node}/status``   | edge → all       | 1   | yes, LWT | Availability   |
| ``streetorder/v1/{node}/stats``    | edge → platform  | 0   | no       | Heartbeat      |
| ``streetorder/v1/{node}/config``   | platform → edge  | 1   | yes      | ConfigPush     |
| ``streetorder/v1/{node}/config/ack``| edge → platform | 1   | no       | ConfigAck      |
| ``streetorder/v1/{node}/receipts`` | platform → edge  | 1   | no       | Receipt        |

Platform replicas share the ingest load with ``$share/{group}/streetorder/v1/+/alerts``.
"""

from __future__ import annotations

ROOT = "streetorder/v1"


def alerts(node: str) -> str:
    return f"{ROOT}/{node}/alerts"


def episodes(node: str) -> str:
    return f"{ROOT}/{node}/episodes"


def status(node: str) -> str:
    return f"{ROOT}/{node}/status"


def stats(node: str) -> str:
    return f"{ROOT}/{node}/stats"


def config(node: str) -> str:
    return f"{ROOT}/{node}/config"


def config_ack(node: str) -> str:
    return f"{ROOT}/{node}/config/ack"


def receipts(node: str) -> str:
    return f"{ROOT}/{node}/receipts"


def shared(group: str, topic_filter: str) -> str:
    """An MQTT 5 shared subscription: each message goes to one member of the group."""
    return f"$share/{group}/{topic_filter}"


def node_of(topic: str) -> str:
    """The node id in a ``streetorder/v1/{node}/...`` topic."""
    parts = topic.split("/")
    if len(parts) < 4 or "/".join(parts[:2]) != ROOT:
        raise ValueError(f"not a streetorder v1 topic: {topic!r}")
    return parts[2]


ALL_ALERTS = f"{ROOT}/+/alerts"
ALL_EPISODES = f"{ROOT}/+/episodes"
ALL_STATUS = f"{ROOT}/+/status"
ALL_STATS = f"{ROOT}/+/stats"
ALL_CONFIG_ACKS = f"{ROOT}/+/config/ack"
