"""Who can act: user roles and the actor of a domain operation."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    REVIEWER = "reviewer"
    SQUAD_LEADER = "squad_leader"
    OFFICER = "officer"
    ADMIN = "admin"
    EDGE_NODE = "edge_node"
    SYSTEM = "system"  # the platform itself (ingest, timers); never a login


HUMAN_ROLES = (Role.REVIEWER, Role.SQUAD_LEADER, Role.OFFICER, Role.ADMIN)
#: roles that see their own squad's cases, alerts, work orders, merchants and SMS only
SQUAD_LIMITED = frozenset({Role.OFFICER, Role.SQUAD_LEADER})


@dataclass(frozen=True)
class Actor:
    """Who performs an operation; recorded in the audit trail."""

    role: Role
    name: str
    user_id: int | None = None
    squad_id: int | None = None
    node_code: str | None = None


SYSTEM = Actor(role=Role.SYSTEM, name="system")


def squad_limit(actor: Actor) -> int | None:
    """The squad an actor's lists are limited to (``-1``: none at all); ``None``: unlimited."""
    if actor.role not in SQUAD_LIMITED:
        return None
    return actor.squad_id if actor.squad_id is not None else -1
