"""Which squads own a thing: the lookups behind the routes' squad scope (platform/api/scope.py).

Each resolver takes the raw request value (a path or query parameter, as text) and answers the
ids of the squads that own the thing, an empty set when it does not exist or belongs to no
squad, or ``None`` when the value is no valid id (the route's own validation answers 422).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from streetorder.platform.db import (
    AlertRecord,
    Case,
    EvidenceFile,
    Merchant,
    SmsMessage,
    Squad,
    Street,
    WorkOrder,
)

MAX_ID = 2**63 - 1
Resolver = Callable[[Session, str], "set[int] | None"]


def as_id(raw: str) -> int | None:
    """A positive 64-bit id, else ``None``."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ID else None


def _one(squad_id: int | None) -> set[int]:
    return set() if squad_id is None else {squad_id}


def squads_of_street_id(session: Session, street_id: int | None) -> set[int]:
    if street_id is None:
        return set()
    return set(session.scalars(select(Squad.id).filter_by(street_id=street_id)))


def _case_squads(session: Session, case_id: int | None) -> set[int]:
    if case_id is None:
        return set()
    return _one(session.scalar(select(Case.squad_id).filter_by(id=case_id)))


def by_id(fn: Callable[[Session, int], set[int]]) -> Resolver:
    def resolve(session: Session, raw: str) -> set[int] | None:
        ident = as_id(raw)
        return None if ident is None else fn(session, ident)

    return resolve


def _alert(session: Session, raw: str) -> set[int] | None:
    if not raw or len(raw) > 64 or "\x00" in raw:
        return None
    case_id = session.scalar(select(AlertRecord.case_id).filter_by(alert_id=raw))
    return _case_squads(session, case_id)


def _evidence(session: Session, file_id: int) -> set[int]:
    row = session.execute(
        select(EvidenceFile.case_id, EvidenceFile.alert_id).filter_by(id=file_id)
    ).first()
    if row is None:
        return set()
    case_id, alert_id = row
    if case_id is None and alert_id is not None:
        case_id = session.scalar(select(AlertRecord.case_id).filter_by(alert_id=alert_id))
    return _case_squads(session, case_id)


def _merchant_code(session: Session, raw: str) -> set[int] | None:
    if not raw or len(raw) > 64 or "\x00" in raw:
        return None
    street_id = session.scalar(select(Merchant.street_id).filter_by(shop_id=raw))
    return squads_of_street_id(session, street_id)


def _street_code(session: Session, raw: str) -> set[int] | None:
    if not raw or len(raw) > 64 or "\x00" in raw:
        return None
    return squads_of_street_id(session, session.scalar(select(Street.id).filter_by(code=raw)))


#: request parameter name → who owns what it names
RESOLVERS: dict[str, Resolver] = {
    "case_id": by_id(_case_squads),
    "alert_id": _alert,
    "work_order_id": by_id(lambda s, i: _one(s.scalar(select(WorkOrder.squad_id).filter_by(id=i)))),
    "file_id": by_id(_evidence),
    "message_id": by_id(
        lambda s, i: _case_squads(s, s.scalar(select(SmsMessage.case_id).filter_by(id=i)))
    ),
    "shop_id": _merchant_code,
    "merchant_id": by_id(
        lambda s, i: squads_of_street_id(s, s.scalar(select(Merchant.street_id).filter_by(id=i)))
    ),
    "street_code": _street_code,
    "street_id": by_id(squads_of_street_id),
    "squad_id": by_id(lambda s, i: {i}),
}


def street_of_squad(session: Session, squad_id: int | None) -> int | None:
    """The street a squad covers (what its officers may list merchants of)."""
    if squad_id is None:
        return None
    return session.scalar(select(Squad.street_id).filter_by(id=squad_id))
