"""Finding the user behind a login: by name, by edge-node API key, and the node it speaks for."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from streetorder.platform.db import EdgeNode, User
from streetorder.platform.security import hash_api_key


def user_by_username(session: Session, *, username: str) -> User | None:
    return session.scalars(select(User).filter_by(username=username)).first()


def user_by_api_key(session: Session, *, api_key: str) -> User | None:
    return session.scalars(select(User).filter_by(api_key_hash=hash_api_key(api_key))).first()


def node_code_of(session: Session, *, user: User) -> str | None:
    """The code of the edge node an ``edge_node`` login belongs to."""
    if user.node_id is None:
        return None
    return session.scalar(select(EdgeNode.code).filter_by(id=user.node_id))
