"""Registry use cases: streets, squads, users, merchants, nodes, cameras and zones; CSV import."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from streetorder.contracts.camera import ZoneConfig
from streetorder.platform.db import Camera, EdgeNode, Merchant, Squad, Street, User, Zone
from streetorder.platform.domain.errors import Conflict, InvalidInput, NotFound
from streetorder.platform.domain.identifiers import normalise_credit_code, normalise_mobile
from streetorder.platform.domain.roles import Role
from streetorder.platform.schemas.registry import (
    CameraCreate,
    CameraUpdate,
    EdgeNodeCreate,
    ImportReport,
    MerchantCreate,
    MerchantUpdate,
    SquadCreate,
    StreetCreate,
    UserCreate,
    UserUpdate,
    ZoneCreate,
    ZoneUpdate,
)
from streetorder.platform.security import hash_api_key, hash_password, new_api_key
from streetorder.platform.services.paging import page

M = TypeVar("M")


def _one(session: Session, model: type[M], what: str, **where: Any) -> M:
    row = session.scalars(select(model).filter_by(**where)).first()
    if row is None:
        key = ", ".join(f"{k}={v!r}" for k, v in where.items())
        raise NotFound(f"{what} not found ({key})")
    return row


# --- streets and squads -------------------------------------------------------------------


def get_street(session: Session, *, code: str) -> Street:
    return _one(session, Street, "street", code=code)


def create_street(session: Session, *, data: StreetCreate) -> Street:
    if session.scalar(select(Street.id).filter_by(code=data.code)):
        raise Conflict(f"street {data.code!r} already exists")
    street = Street(code=data.code, name=data.name, district=data.district)
    session.add(street)
    session.flush()
    return street


def list_streets(session: Session) -> list[Street]:
    return list(session.scalars(select(Street).order_by(Street.code)))


def create_squad(session: Session, *, data: SquadCreate) -> Squad:
    street = get_street(session, code=data.street_code)
    if session.scalar(select(Squad.id).filter_by(code=data.code)):
        raise Conflict(f"squad {data.code!r} already exists")
    squad = Squad(code=data.code, name=data.name, street_id=street.id)
    session.add(squad)
    session.flush()
    return squad


def list_squads(session: Session) -> list[Squad]:
    return list(session.scalars(select(Squad).order_by(Squad.code)))


def squad_for_street(session: Session, *, street_id: int | None) -> Squad | None:
    """The squad covering a street (the first one when a street has several)."""
    if street_id is None:
        return None
    return session.scalars(select(Squad).filter_by(street_id=street_id).order_by(Squad.id)).first()


# --- users --------------------------------------------------------------------------------


def create_user(
    session: Session, *, data: UserCreate, bcrypt_rounds: int = 12
) -> tuple[User, str | None]:
    """Create a login; an edge-node login gets an API key, returned once (only its hash is kept)."""
    if session.scalar(select(User.id).filter_by(username=data.username)):
        raise Conflict(f"user {data.username!r} already exists")
    role = Role(data.role)
    user = User(username=data.username, display_name=data.display_name or data.username, role=role)
    api_key = None
    if role == Role.EDGE_NODE:
        if not data.node_code:
            raise InvalidInput("an edge_node login needs node_code")
        user.node_id = get_node(session, code=data.node_code).id
        api_key = new_api_key()
        user.api_key_hash = hash_api_key(api_key)
    else:
        if not data.password:
            raise InvalidInput(f"a {role.value} login needs a password")
        user.password_hash = hash_password(data.password, bcrypt_rounds)
    if role in (Role.OFFICER, Role.SQUAD_LEADER):
        if not data.squad_code:
            raise InvalidInput(f"a {role.value} needs squad_code")
        user.squad_id = _one(session, Squad, "squad", code=data.squad_code).id
    if data.mobile:
        user.mobile = normalise_mobile(data.mobile)
    session.add(user)
    session.flush()
    return user, api_key


def set_api_key(session: Session, *, user: User, api_key: str) -> None:
    """Give an edge-node login a chosen key (e.g. the one already in an edge config)."""
    if len(api_key) < 16:
        raise InvalidInput("an API key needs at least 16 characters")
    user.api_key_hash = hash_api_key(api_key)
    session.flush()


def update_user(
    session: Session, *, user_id: int, data: UserUpdate, bcrypt_rounds: int = 12
) -> User:
    user = _one(session, User, "user", id=user_id)
    if data.display_name is not None:
        user.display_name = data.display_name
    if data.password is not None:
        user.password_hash = hash_password(data.password, bcrypt_rounds)
    if data.squad_code is not None:
        user.squad_id = _one(session, Squad, "squad", code=data.squad_code).id
    if data.active is not None:
        user.active = data.active
    session.flush()
    return user


def list_users(session: Session, *, role: str | None = None) -> list[User]:
    stmt = select(User).order_by(User.username)
    if role:
        stmt = stmt.filter_by(role=role)
    return list(session.scalars(stmt))


# --- merchants ----------------------------------------------------------------------------


def get_merchant(session: Session, *, shop_id: str) -> Merchant:
    return _one(session, Merchant, "merchant", shop_id=shop_id)


def _merchant_fields(session: Session, data: MerchantCreate | MerchantUpdate) -> dict[str, Any]:
    fields = data.model_dump(exclude_unset=True, exclude={"street_code", "shop_id"})
    if fields.get("mobile"):
        fields["mobile"] = normalise_mobile(fields["mobile"])
    if fields.get("credit_code"):
        fields["credit_code"] = normalise_credit_code(fields["credit_code"])
    elif "credit_code" in fields:
        fields["credit_code"] = None
    if data.street_code is not None:
        fields["street_id"] = get_street(session, code=data.street_code).id
    return fields


def _check_credit_code_free(session: Session, code: str | None, merchant_id: int | None) -> None:
    if code is None:
        return
    other = session.scalar(select(Merchant.id).filter_by(credit_code=code))
    if other is not None and other != merchant_id:
        raise Conflict(f"credit code {code} already belongs to another merchant")


def create_merchant(session: Session, *, data: MerchantCreate) -> Merchant:
    if session.scalar(select(Merchant.id).filter_by(shop_id=data.shop_id)):
        raise Conflict(f"merchant {data.shop_id!r} already exists")
    fields = _merchant_fields(session, data)
    _check_credit_code_free(session, fields.get("credit_code"), None)
    merchant = Merchant(shop_id=data.shop_id, **fields)
    session.add(merchant)
    session.flush()
    return merchant


def update_merchant(session: Session, *, shop_id: str, data: MerchantUpdate) -> Merchant:
    merchant = get_merchant(session, shop_id=shop_id)
    fields = _merchant_fields(session, data)
    _check_credit_code_free(session, fields.get("credit_code"), merchant.id)
    for key, value in fields.items():
        setattr(merchant, key, value)
    session.flush()
    return merchant


def delete_merchant(session: Session, *, shop_id: str) -> None:
    merchant = get_merchant(session, shop_id=shop_id)
    if session.scalar(select(Zone.id).filter_by(merchant_id=merchant.id)):
        raise Conflict(f"merchant {shop_id!r} still has zones; move or delete them first")
    from streetorder.platform.db import Case

    if session.scalar(select(Case.id).filter_by(merchant_id=merchant.id)):
        raise Conflict(f"merchant {shop_id!r} has cases and cannot be deleted")
    session.delete(merchant)
    session.flush()


def list_merchants(
    session: Session, *, q: str | None = None, street_code: str | None = None,
    risk_colour: str | None = None, offset: int = 0, limit: int = 100,
    squad_id: int | None = None,
) -> tuple[list[Merchant], int]:  # fmt: skip
    """Merchants by filter; with ``squad_id`` only those of the street that squad covers."""
    stmt = select(Merchant).order_by(Merchant.shop_id)
    if squad_id is not None:
        stmt = stmt.where(
            Merchant.street_id.in_(select(Squad.street_id).where(Squad.id == squad_id))
        )
    if q:
        like = f"%{q}%"
        stmt = stmt.where(Merchant.name.like(like) | Merchant.shop_id.like(like))
    if street_code:
        stmt = stmt.where(Merchant.street_id == get_street(session, code=street_code).id)
    if risk_colour:
        stmt = stmt.where(Merchant.risk_colour == risk_colour)
    return page(session, stmt, offset=offset, limit=limit)


# --- edge nodes, cameras, zones -----------------------------------------------------------


def get_node(session: Session, *, code: str) -> EdgeNode:
    return _one(session, EdgeNode, "edge node", code=code)


def create_node(session: Session, *, data: EdgeNodeCreate) -> EdgeNode:
    if session.scalar(select(EdgeNode.id).filter_by(code=data.code)):
        raise Conflict(f"edge node {data.code!r} already exists")
    node = EdgeNode(code=data.code, name=data.name or data.code)
    if data.street_code:
        node.street_id = get_street(session, code=data.street_code).id
    session.add(node)
    session.flush()
    return node


def list_nodes(session: Session) -> list[EdgeNode]:
    return list(session.scalars(select(EdgeNode).order_by(EdgeNode.code)))


def get_camera(session: Session, *, node_code: str, camera_code: str) -> Camera:
    node = get_node(session, code=node_code)
    return _one(session, Camera, f"camera of node {node_code}", node_id=node.id, code=camera_code)


def create_camera(session: Session, *, node_code: str, data: CameraCreate) -> Camera:
    node = get_node(session, code=node_code)
    if session.scalar(select(Camera.id).filter_by(node_id=node.id, code=data.code)):
        raise Conflict(f"camera {data.code!r} already exists on node {node_code}")
    camera = Camera(node_id=node.id, **data.model_dump())
    session.add(camera)
    session.flush()
    return camera


def update_camera(
    session: Session, *, node_code: str, camera_code: str, data: CameraUpdate
) -> Camera:
    camera = get_camera(session, node_code=node_code, camera_code=camera_code)
    for key, value in data.model_dump(exclude_unset=True).items():
        setattr(camera, key, value)
    session.flush()
    return camera


def list_cameras(session: Session, *, node_code: str) -> list[Camera]:
    node = get_node(session, code=node_code)
    return list(session.scalars(select(Camera).filter_by(node_id=node.id).order_by(Camera.code)))


def _validated_zone(
    code: str, shop_id: str, name: str, polygon: Sequence, rules: Any
) -> ZoneConfig:
    """The contract decides what a valid zone is, exactly as the edge will."""
    try:
        return ZoneConfig(id=code, shop_id=shop_id, name=name, polygon=polygon, rules=rules)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "zone"
        raise InvalidInput(f"zone {code}: {where}: {first['msg']}") from None


def create_zone(session: Session, *, node_code: str, camera_code: str, data: ZoneCreate) -> Zone:
    camera = get_camera(session, node_code=node_code, camera_code=camera_code)
    if session.scalar(select(Zone.id).filter_by(camera_id=camera.id, code=data.code)):
        raise Conflict(f"zone {data.code!r} already exists on camera {camera_code}")
    merchant = get_merchant(session, shop_id=data.shop_id)
    valid = _validated_zone(data.code, data.shop_id, data.name, data.polygon, data.rules)
    zone = Zone(
        camera_id=camera.id, code=data.code, merchant_id=merchant.id, name=data.name,
        polygon=[list(p) for p in valid.polygon], rules=valid.rules.model_dump(mode="json"),
    )  # fmt: skip
    session.add(zone)
    session.flush()
    return zone


def get_zone(session: Session, *, node_code: str, camera_code: str, zone_code: str) -> Zone:
    camera = get_camera(session, node_code=node_code, camera_code=camera_code)
    return _one(session, Zone, f"zone of camera {camera_code}", camera_id=camera.id, code=zone_code)


def update_zone(
    session: Session, *, node_code: str, camera_code: str, zone_code: str, data: ZoneUpdate
) -> Zone:
    zone = get_zone(session, node_code=node_code, camera_code=camera_code, zone_code=zone_code)
    merchant = get_merchant(session, shop_id=data.shop_id) if data.shop_id else zone.merchant
    polygon = data.polygon if data.polygon is not None else zone.polygon
    rules = data.rules if data.rules is not None else zone.rules
    name = data.name if data.name is not None else zone.name
    valid = _validated_zone(zone.code, merchant.shop_id, name, polygon, rules)
    zone.merchant_id, zone.name = merchant.id, name
    zone.polygon = [list(p) for p in valid.polygon]
    zone.rules = valid.rules.model_dump(mode="json")
    session.flush()
    return zone


def delete_zone(session: Session, *, node_code: str, camera_code: str, zone_code: str) -> None:
    """Delete a zone no case refers to (a case keeps the zone it was seen in: 409)."""
    from streetorder.platform.db import Case

    zone = get_zone(session, node_code=node_code, camera_code=camera_code, zone_code=zone_code)
    if session.scalar(select(Case.id).filter_by(zone_id=zone.id).limit(1)) is not None:
        raise Conflict(
            f"zone {zone_code!r} of camera {camera_code!r} has cases and cannot be deleted; "
            "change its shop or polygon instead"
        )
    session.delete(zone)
    session.flush()


# --- CSV import ---------------------------------------------------------------------------

MERCHANT_COLUMNS = (
    "shop_id", "name", "address", "credit_code", "responsible_person", "mobile", "risk_colour",
    "street_code",
)  # fmt: skip
ZONE_COLUMNS = (
    "node_code",
    "camera_code",
    "zone_code",
    "shop_id",
    "name",
    "polygon",
    "dwell_seconds",
)


def _rows(text: str, required: Sequence[str]) -> csv.DictReader:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(f"CSV header lacks column(s): {', '.join(missing)}")
    return reader


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.strip() if isinstance(v, str) else v) or None for k, v in row.items() if k}


def import_merchants_csv(session: Session, *, text: str) -> ImportReport:
    """Create or update merchants by ``shop_id``; bad rows are reported, good rows kept.

    Columns: shop_id, name (required), address, credit_code, responsible_person, mobile,
    risk_colour, street_code. Each row is applied in a savepoint so one bad row loses nothing else.
    """
    created = updated = 0
    errors: list[str] = []
    for line, row in enumerate(_rows(text, ("shop_id", "name")), start=2):
        fields = {k: v for k, v in _clean(row).items() if k in MERCHANT_COLUMNS and v is not None}
        try:
            with session.begin_nested():
                exists = session.scalar(
                    select(Merchant.id).filter_by(shop_id=fields.get("shop_id"))
                )
                if exists:
                    data = MerchantUpdate(**{k: v for k, v in fields.items() if k != "shop_id"})
                    update_merchant(session, shop_id=fields["shop_id"], data=data)
                    updated += 1
                else:
                    create_merchant(session, data=MerchantCreate(**fields))
                    created += 1
        except ValidationError as exc:
            first = exc.errors()[0]
            errors.append(f"line {line}: {'.'.join(map(str, first['loc']))}: {first['msg']}")
        except (InvalidInput, NotFound, Conflict) as exc:
            errors.append(f"line {line}: {exc}")
    return ImportReport(created=created, updated=updated, errors=errors)


def parse_polygon(text: str) -> list[tuple[float, float]]:
    """``"0.1 0.5; 0.4 0.5; 0.4 0.9"`` → points (relative coordinates)."""
    try:
        points = [tuple(float(v) for v in p.replace(",", " ").split()) for p in text.split(";")]
    except ValueError:
        raise InvalidInput(f"polygon {text!r}: write points as 'x y; x y; x y'") from None
    if any(len(p) != 2 for p in points):
        raise InvalidInput(f"polygon {text!r}: every point needs exactly x and y")
    return points  # type: ignore[return-value]


def import_zones_csv(session: Session, *, text: str) -> ImportReport:
    """Create or update zones. Columns: node_code, camera_code, zone_code, shop_id, polygon
    (``x y; x y; ...`` relative), optional name and dwell_seconds. Nodes and cameras must exist."""
    created = updated = 0
    errors: list[str] = []
    required = ("node_code", "camera_code", "zone_code", "shop_id", "polygon")
    for line, row in enumerate(_rows(text, required), start=2):
        f = _clean(row)
        try:
            with session.begin_nested():
                if any(not f.get(c) for c in required):
                    raise InvalidInput(f"empty {', '.join(c for c in required if not f.get(c))}")
                polygon = parse_polygon(f["polygon"])
                rules: dict[str, Any] = {}
                if f.get("dwell_seconds"):
                    rules["dwell_seconds"] = float(f["dwell_seconds"])
                where = dict(node_code=f["node_code"], camera_code=f["camera_code"])
                camera = get_camera(session, **where)
                if session.scalar(
                    select(Zone.id).filter_by(camera_id=camera.id, code=f["zone_code"])
                ):
                    update = ZoneUpdate(shop_id=f["shop_id"], name=f.get("name"), polygon=polygon)
                    if rules:
                        update.rules = _validated_zone("z", "s", "", polygon, rules).rules
                    update_zone(session, zone_code=f["zone_code"], data=update, **where)
                    updated += 1
                else:
                    valid = _validated_zone(f["zone_code"], f["shop_id"], "", polygon, rules)
                    data = ZoneCreate(
                        code=f["zone_code"], shop_id=f["shop_id"], name=f.get("name") or "",
                        polygon=polygon, rules=valid.rules,
                    )  # fmt: skip
                    create_zone(session, data=data, **where)
                    created += 1
        except ValidationError as exc:
            first = exc.errors()[0]
            errors.append(f"line {line}: {'.'.join(map(str, first['loc']))}: {first['msg']}")
        except (InvalidInput, NotFound, Conflict, ValueError) as exc:
            errors.append(f"line {line}: {exc}")
    return ImportReport(created=created, updated=updated, errors=errors)


def nodes_in_csv(session: Session, *, text: str) -> set[str]:
    """Node codes named in a zones CSV whose node exists (their config must be re-pushed)."""
    try:
        named = {r["node_code"].strip() for r in _rows(text, ("node_code",)) if r.get("node_code")}
    except InvalidInput:
        return set()
    return set(session.scalars(select(EdgeNode.code).where(EdgeNode.code.in_(named))))
