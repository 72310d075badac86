"""Who may see what: an officer or squad leader sees their own squad's things only.

Anything outside the squad is reported as not found (404), never as forbidden, so the app
cannot probe other squads' ids. The messages are the officer's, from the catalogue (Chinese).
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from streetorder.i18n import CATALOGUE, Reason
from streetorder.mobile_api.db import Photo
from streetorder.platform.db import Merchant, Squad
from streetorder.platform.domain.errors import Forbidden, NotFound
from streetorder.platform.domain.roles import Actor, Role
from streetorder.platform.services import squad_scope

T = TypeVar("T")


def squad_of(session: Session, actor: Actor) -> Squad:
    if actor.squad_id is None:
        raise Forbidden(Reason("officer.no_squad"))
    squad = session.get(Squad, actor.squad_id)
    if squad is None:
        raise Forbidden(Reason("officer.squad_gone"))
    return squad


def require_leader(actor: Actor) -> None:
    if actor.role not in (Role.SQUAD_LEADER, Role.ADMIN):
        raise Forbidden(Reason("officer.leader_only"))


def _thing(what: str) -> str:
    key = f"officer.thing_{what.replace(' ', '_')}"
    return Reason(key) if key in CATALOGUE else what


def in_squad(row: T | None, squad_id: int | None, actor: Actor, what: str, ident: object) -> T:
    if row is None or squad_id != actor.squad_id:
        raise NotFound(Reason("officer.not_found", what=_thing(what), ident=ident))
    return row


def merchant_in_squad(session: Session, actor: Actor, merchant_id: int) -> Merchant:
    squad = squad_of(session, actor)
    merchant = session.get(Merchant, merchant_id)
    if merchant is None or merchant.street_id != squad.street_id:
        raise NotFound(Reason("officer.not_found", what=_thing("shop"), ident=merchant_id))
    return merchant


def _photo_squads(session: Session, photo_id: int) -> set[int]:
    squad_id = session.scalar(select(Photo.squad_id).filter_by(id=photo_id))
    return set() if squad_id is None else {squad_id}


#: the platform's parameter lookups plus the app's own photos (for the routes' squad scope)
RESOLVERS = {**squad_scope.RESOLVERS, "photo_id": squad_scope.by_id(_photo_squads)}
