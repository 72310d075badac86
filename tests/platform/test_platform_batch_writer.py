"""The ingest writer keeps going: a message the database refuses is isolated and rejected, an
unreachable database is retried (nothing acknowledged meanwhile)."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from streetorder.contracts import ModelInfo, encode, topics
from streetorder.platform.db import Case, Database, RejectedMessage
from streetorder.platform.ingest.consumer import BatchWriter, Inbound


def test_a_refused_message_is_isolated_and_the_rest_kept(platform) -> None:
    p = platform
    good = [p.alerts(), p.alerts()]
    # Valid by contract, but longer than the model_name column: PostgreSQL refuses it.
    bad = p.alerts().model_copy(update={"model": ModelInfo(name="m" * 150, version="1")})
    writer = BatchWriter(p.db, p.rules, clock=p.clock)
    batch = [
        Inbound(topics.alerts("edge-01"), encode(a), i, 1)
        for i, a in enumerate([good[0], bad, good[1]])
    ]
    assert writer.write_robustly(batch, threading.Event())
    with p.db.session() as s:
        cases = s.scalar(select(func.count()).select_from(Case))
        reasons = list(s.scalars(select(RejectedMessage.reason)))
    if p.db.dialect == "postgresql":
        assert cases == 2
        assert len(reasons) == 1 and reasons[0].startswith("database refused the message")
        assert writer.stats.snapshot()["rejected"] == 1
    else:  # SQLite does not enforce string lengths: all three are stored
        assert cases == 3 and reasons == []


def test_an_unreachable_database_is_retried_until_stopped(platform) -> None:
    p = platform
    down = Database("postgresql+psycopg://postgres@127.0.0.1:9/nowhere?connect_timeout=1")
    writer = BatchWriter(down, p.rules, clock=p.clock)
    stop = threading.Event()
    threading.Timer(2.5, stop.set).start()
    batch = [Inbound(topics.alerts("edge-01"), encode(p.alerts()), 1, 1)]
    assert writer.write_robustly(batch, stop) is False  # not written: must stay unacknowledged
    assert writer.stats.snapshot()["db_retries"] >= 2
    # the same batch goes through once the database is back
    assert BatchWriter(p.db, p.rules, clock=p.clock).write_robustly(batch, threading.Event())
    down.dispose()
