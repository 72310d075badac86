"""Finding the user behind a login: by name, by edge-node API key, and the node it speaks for."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from streetorder.i18n import LANGUAGES
from streetorder.platform.db import EdgeNode, User
from streetorder.platform.domain.errors import InvalidInput, NotFound
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


def set_language(session: Session, *, user_id: int, language: str) -> None:
    """Store the console language a user chose (one of ``streetorder.i18n.LANGUAGES``).

    Raises:
        InvalidInput: an unsupported language.
        NotFound: no such user.
    """
    if language not in LANGUAGES:
        raise InvalidInput(f"language must be one of {', '.join(LANGUAGES)}")
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    user.language = language


def people(
    session: Session, *, user_ids: set[int | None] = frozenset(), usernames: set[str] = frozenset()
) -> list[tuple[int, str, str]]:
    """``(id, display name, user name)`` of the users with these ids or user names, in one query
    (the console shows the display name; the records and APIs keep the user name)."""
    ids = {i for i in user_ids if i is not None}
    names = {n for n in usernames if n}
    if not ids and not names:
        return []
    rows = session.execute(
        select(User.id, User.display_name, User.username).where(
            or_(User.id.in_(ids), User.username.in_(names))
        )
    )
    return [(uid, display or username, username) for uid, display, username in rows]
