"""Idempotency keys under concurrency: twin requests racing write once and answer alike."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from streetorder.mobile_api.db import IdempotencyRecord
from streetorder.mobile_api.services import idempotency
from streetorder.platform.db import Database, Street
from streetorder.platform.domain.errors import Conflict, InvalidInput
from streetorder.server.migrate import upgrade


@pytest.fixture
def db(database_url: str):
    upgrade(database_url)
    database = Database(database_url)
    yield database
    database.dispose()


def streets(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Street))


def test_racing_twins_write_once(db: Database) -> None:
    calls = []
    gate = threading.Barrier(2)

    def action(session):
        calls.append(1)
        street = Street(code=f"S{len(calls)}", name="长宁路街道", district="")
        session.add(street)
        session.flush()
        time.sleep(0.3)  # hold the transaction open while the twin arrives
        return 201, {"street_id": street.id}

    def request():
        gate.wait()
        return idempotency.run(
            db, scope="user:1", key="twin-key-0001", request_fingerprint="f" * 64, action=action
        )

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(lambda _: request(), range(2)))
    assert streets(db) == 1
    assert outcomes[0].body == outcomes[1].body
    assert sorted(o.replayed for o in outcomes) == [False, True]


def test_failed_write_leaves_the_key_free(db: Database) -> None:
    def failing(session):
        session.add(Street(code="S-X", name="x", district=""))
        session.flush()
        raise InvalidInput("refused")

    with pytest.raises(InvalidInput):
        idempotency.run(db, scope="u", key="key-00000001", request_fingerprint="a", action=failing)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0
    assert streets(db) == 0
    ok = idempotency.run(
        db, scope="u", key="key-00000001", request_fingerprint="a",
        action=lambda session: (200, {"ok": True}),
    )  # fmt: skip
    assert ok.body == {"ok": True} and not ok.replayed
    with pytest.raises(Conflict):
        idempotency.run(
            db, scope="u", key="key-00000001", request_fingerprint="b",
            action=lambda session: (200, {}),
        )  # fmt: skip
