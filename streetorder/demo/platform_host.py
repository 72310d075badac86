"""Run the platform (API, console, MQTT ingest, periodic jobs) inside the demo process."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from streetorder.config.common import BrokerConfig
from streetorder.demo.net import free_port
from streetorder.errors import StreetorderError

SELF_CORRECT_STREET = "lujiazui"
#: The demo's time limit for the re-check (核查) of an officer's correction, instead of a
#: city's 24 h: the case left corrected turns yellow (黄灯) on the dashboard while you watch.
VERIFY_MINUTES = 1


@dataclass
class PlatformHost:
    url: str
    runtime: object
    server: object
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True  # type: ignore[attr-defined]
        self.thread.join(10)
        self.runtime.stop()  # type: ignore[attr-defined]


def start_platform(
    *, out: Path, database_url: str | None, broker: BrokerConfig, port: int
) -> PlatformHost:
    """Migrate, build the runtime and serve it with uvicorn on 127.0.0.1 in a thread."""
    import uvicorn

    from streetorder.platform.settings import settings_from_mapping
    from streetorder.server.failures import database_errors
    from streetorder.server.migrate import upgrade
    from streetorder.server.runtime import ServerRuntime

    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    settings = settings_from_mapping(
        {
            "environment": "development",
            "secret_key": secrets.token_urlsafe(32),
            "database_url": database_url or f"sqlite:///{(out / 'platform.db').resolve()}",
            "public_url": url,
            "broker": broker.model_dump(mode="json", exclude_none=True),
            # the demo's platform lives as long as the run: no session left on the broker
            "ingest": {"share_group": "demo", "persistent_session": False},
            "evidence": {"dir": str((out / "platform-evidence").resolve())},
            "auth": {"bcrypt_rounds": 4},
            "time_limits": {"verify_hours": VERIFY_MINUTES / 60},
            # one street lets merchants correct first; the camera confirms (see seed)
            "dispatch": {"streets": {SELF_CORRECT_STREET: {"dispatch": "notify_first"}}},
        },
        source="demo settings",
    )
    with database_errors(settings.database_url):
        upgrade(settings.database_url)
        runtime = ServerRuntime(settings)
        app = runtime.start()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="demo-platform", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            runtime.stop()
            raise StreetorderError(f"the platform did not start on {url}")
        time.sleep(0.05)
    return PlatformHost(url, runtime, server, thread)


def notify_first_camera(cameras: tuple) -> str | None:
    """The camera of the shop on the ``notify_first`` street: the footage where goods are
    taken in and put out again."""
    return next((c.id for c in cameras if c.id.endswith("put_out_twice")), None)


def seed(host: PlatformHost, *, node_code: str, cameras: tuple, node_token: str) -> None:
    """Street, squad, people, merchants and zones that match the demo's edge cameras; the shop
    of the footage where goods are taken in (``put_out_twice``) sits on a ``notify_first``
    street, so its first episode is corrected by the merchant and seen by the camera."""
    from sqlalchemy import select

    from streetorder.platform.db import Merchant, Squad, Street
    from streetorder.platform.services.seed import seed_demo

    db = host.runtime.db  # type: ignore[attr-defined]
    with db.session() as session:
        seed_demo(
            session, node_code=node_code, cameras=cameras, node_api_key=node_token, bcrypt_rounds=4
        )
        taken_in = [c for c in cameras if c.id == notify_first_camera(cameras)]
        if not taken_in:
            return
        street = Street(code=SELF_CORRECT_STREET, name="陆家嘴街道", district="浦东新区")
        session.add(street)
        session.flush()
        session.add(Squad(code="squad-02", name="陆家嘴街道城管中队", street_id=street.id))
        shop = taken_in[0].zones[0].shop_id
        merchant = session.scalars(select(Merchant).filter_by(shop_id=shop)).one()
        merchant.street_id = street.id
