"""The demo's shops and cameras read as a Chinese street does: each shop a unique name with its
branch address (no shop id in the merchant's SMS), each camera the pole across from its shop."""

from __future__ import annotations

import re

from sqlalchemy import select

from streetorder.contracts import ZoneConfig
from streetorder.platform.db import Camera, Merchant
from streetorder.platform.services.seed import DEFAULT_CAMERA, LEFT, RIGHT, SHOP_NAMES, seed_demo
from tests.platform.conftest import PASSWORD, Platform


def test_seeded_shops_have_unique_chinese_names_and_cameras_chinese_places(
    platform: Platform,
) -> None:
    cameras = tuple(
        DEFAULT_CAMERA.model_copy(update={
            "id": f"cam-street-{k}",
            "zones": (ZoneConfig(id="z1", shop_id=f"s{k}-a", polygon=LEFT),
                      ZoneConfig(id="z2", shop_id=f"s{k}-b", polygon=RIGHT)),
        })
        for k in range(len(SHOP_NAMES))
    )  # fmt: skip
    with platform.db.session() as session:
        seed_demo(session, node_code="edge-names", cameras=cameras, password=PASSWORD,
                  bcrypt_rounds=4)  # fmt: skip
    with platform.db.session() as session:
        merchants = session.scalars(select(Merchant)).all()
        places = session.scalars(select(Camera.address)).all()
    names = [m.name for m in merchants]
    assert len(names) > len(SHOP_NAMES) and len(set(names)) == len(names)
    for m in merchants:
        assert m.shop_id not in m.name
        assert re.fullmatch(r"[^\x00-\x7f]+\(东方路\d+号店\)", m.name), m.name
        assert m.address.endswith(m.name.split("(东方路")[1].removesuffix("店)"))
    assert places and all(re.fullmatch(r"花木街道东方路\d+号对面杆", p) for p in places), places


def test_seeded_people_have_chinese_names_and_keep_their_user_names(platform: Platform) -> None:
    from streetorder.platform.db import User

    with platform.db.session() as session:
        seed_demo(session, node_code="edge-people", password=PASSWORD, bcrypt_rounds=4)
        session.scalars(select(User).filter_by(username="officer2")).one().display_name = "officer2"
    with platform.db.session() as session:  # seeded before people had names: named on a re-seed
        seed_demo(session, node_code="edge-people", password=PASSWORD, bcrypt_rounds=4)
    with platform.db.session() as session:
        people = dict(session.execute(select(User.username, User.display_name)).all())
    for username in ("reviewer", "admin", "leader", "officer", "officer2"):
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,3}", people[username]), people
    assert len({people[u] for u in ("reviewer", "admin", "leader", "officer", "officer2")}) == 5
    assert people["edge-people"] == "edge-people"  # a node is no person: its code
