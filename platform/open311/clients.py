"""Trusted Open311 clients (the 12345 hotline's system, a reporting app): API keys that admins
create and revoke. Only the key's sha256 is stored; the key is shown once."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from streetorder.platform.db import Open311Client
from streetorder.platform.domain.errors import Conflict, InvalidInput, NotFound
from streetorder.platform.domain.roles import Actor
from streetorder.platform.security import hash_api_key

KEY_PREFIX = "o311_"
Source = Literal["hotline", "citizen"]


def create(
    session: Session, *, name: str, source: Source, actor: Actor, now: datetime
) -> tuple[Open311Client, str]:
    """A new client and its API key (returned once, never stored)."""
    name = name.strip()
    if not name or len(name) > 100 or "\x00" in name:
        raise InvalidInput("a client needs a name of 1-100 characters")
    if session.scalar(select(Open311Client.id).filter_by(name=name)) is not None:
        raise Conflict(f"an Open311 client named {name!r} exists already")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    client = Open311Client(
        name=name, source=source, api_key_hash=hash_api_key(key), active=True,
        created_by=actor.name, created_at=now,
    )  # fmt: skip
    session.add(client)
    session.flush()
    return client, key


def by_key(session: Session, api_key: str) -> Open311Client | None:
    """The active client holding ``api_key``, if any."""
    if not api_key.startswith(KEY_PREFIX) or len(api_key) > 200:
        return None
    return session.scalars(
        select(Open311Client).filter_by(api_key_hash=hash_api_key(api_key), active=True)
    ).first()


def all_clients(session: Session) -> list[Open311Client]:
    return list(session.scalars(select(Open311Client).order_by(Open311Client.id)))


def revoke(session: Session, *, client_id: int, now: datetime) -> Open311Client:
    client = session.get(Open311Client, client_id)
    if client is None:
        raise NotFound(f"Open311 client {client_id} not found")
    if client.active:
        client.active, client.revoked_at = False, now
    return client
