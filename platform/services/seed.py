"""Demo data: a street, its squad, people, merchants, and a node whose cameras and zones match
an edge config (so the edge's alerts land on registered merchants)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from streetorder.contracts import CameraConfig, ZoneConfig
from streetorder.i18n import text
from streetorder.platform.db import Camera, EdgeNode, Merchant, Squad, Street, User, Zone
from streetorder.platform.domain.identifiers import make_credit_code
from streetorder.platform.schemas.registry import UserCreate
from streetorder.platform.services import registry

LEFT = ((0.05, 0.55), (0.45, 0.55), (0.45, 0.95), (0.05, 0.95))
RIGHT = ((0.55, 0.55), (0.95, 0.55), (0.95, 0.95), (0.55, 0.95))
DEFAULT_CAMERA = CameraConfig(
    id="cam-01",
    source="rtsp://127.0.0.1/cam-01",
    zones=(
        ZoneConfig(id="z1", shop_id="shop-001", polygon=LEFT),
        ZoneConfig(id="z2", shop_id="shop-002", polygon=RIGHT),
    ),
)
SHOP_NAMES = (
    "鲜果坊",
    "好邻居便利店",
    "老王五金",
    "阿婆水果摊",
    "新华书店",
    "小杨生煎",
    "花样年华花店",
)
#: Where the demo shops stand (东方路, 花木街道): one every ~44 m northwards from here (WGS-84).
SHOP_ORIGIN = (31.2150, 121.5440)
SHOP_SPACING_DEG = 0.0004
#: (user name: README and tests log in with it, records keep it; role; squad; the name the
#: console shows)
PEOPLE = (
    ("reviewer", "reviewer", None, "陈静"),
    ("admin", "admin", None, "赵敏"),
    ("leader", "squad_leader", "squad-01", "李强"),
    ("officer", "officer", "squad-01", "王建国"),
    ("officer2", "officer", "squad-01", "刘洋"),
)


@dataclass
class SeedReport:
    node_code: str
    node_api_key: str | None
    users: list[str] = field(default_factory=list)
    merchants: list[str] = field(default_factory=list)
    zones: list[str] = field(default_factory=list)


def _get_or_add(session: Session, model, where: dict, **values):
    row = session.scalars(select(model).filter_by(**where)).first()
    if row is None:
        row = model(**where, **values)
        session.add(row)
        session.flush()
    return row


def seed_demo(
    session: Session, *, node_code: str = "edge-01",
    cameras: tuple[CameraConfig, ...] = (DEFAULT_CAMERA,),
    password: str = "streetorder-demo", node_api_key: str | None = None, bcrypt_rounds: int = 12,
    street_code: str = "huamu", street_name: str = "花木街道",
) -> SeedReport:  # fmt: skip
    """Idempotent: running it twice changes nothing and creates no duplicates."""
    street = _get_or_add(
        session, Street, {"code": street_code}, name=street_name, district="浦东新区"
    )
    _get_or_add(
        session, Squad, {"code": "squad-01"}, name=f"{street_name}城管中队", street_id=street.id
    )
    node = _get_or_add(session, EdgeNode, {"code": node_code}, name=node_code, street_id=street.id)
    report = SeedReport(node_code=node_code, node_api_key=None)
    for username, role, squad, name in PEOPLE:
        user = session.scalars(select(User).filter_by(username=username)).first()
        if user is None:
            registry.create_user(
                session, bcrypt_rounds=bcrypt_rounds,
                data=UserCreate(
                    username=username, display_name=name, role=role, password=password,
                    squad_code=squad,
                ),
            )  # fmt: skip
        elif user.display_name in ("", username):  # seeded before the demo's people had names
            user.display_name = name
        report.users.append(username)
    node_user = session.scalars(select(User).filter_by(username=node_code)).first()
    if node_user is None:
        node_user, key = registry.create_user(
            session, data=UserCreate(username=node_code, role="edge_node", node_code=node_code)
        )
        report.node_api_key = key
    if node_api_key:
        registry.set_api_key(session, user=node_user, api_key=node_api_key)
        report.node_api_key = node_api_key
    n = session.scalar(select(Merchant.id).order_by(Merchant.id.desc())) or 0
    for camera_config in cameras:
        camera = _get_or_add(
            session, Camera, {"node_id": node.id, "code": camera_config.id},
            # the pole across the street from its first shop (as docs/examples/node.yaml)
            source=camera_config.source, address=f"{street_name}东方路{101 + n}号对面杆",
            analysis_interval_seconds=camera_config.analysis_interval_seconds,
            keyframes_only=camera_config.keyframes_only,
        )  # fmt: skip
        for zone in camera_config.zones:
            n += 1
            merchant = _get_or_add(
                session, Merchant, {"shop_id": zone.shop_id},
                # a branch named by its address, as chains are (全家(东方路店)): unique, and no
                # shop id in the merchant's SMS
                name=SHOP_NAMES[n % len(SHOP_NAMES)] + f"(东方路{100 + n}号店)",
                address=f"{street_name}东方路{100 + n}号", credit_code=make_credit_code(n),
                responsible_person=f"负责人{n}", mobile=f"1380013{n:04d}", street_id=street.id,
                latitude=SHOP_ORIGIN[0] + n * SHOP_SPACING_DEG, longitude=SHOP_ORIGIN[1],
            )  # fmt: skip
            _get_or_add(
                session, Zone, {"camera_id": camera.id, "code": zone.id},
                merchant_id=merchant.id, name=text("editor.new_zone_name", shop=merchant.name),
                polygon=[list(p) for p in zone.polygon], rules=zone.rules.model_dump(mode="json"),
            )  # fmt: skip
            report.merchants.append(zone.shop_id)
            report.zones.append(f"{camera_config.id}/{zone.id}")
    return report
