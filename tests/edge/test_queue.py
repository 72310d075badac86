"""The durable outbox: order, idempotence, persistence, bounds and crash safety."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from streetorder.edge.transport.queue import Outbox, OutboxFullError


def test_messages_come_out_in_insertion_order_and_leave_only_when_removed(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "q.db")
    for i in range(5):
        assert box.put(f"m{i}", "t/a", f"payload {i}".encode())
    first = box.peek(3)
    assert [m.msg_id for m in first] == ["m0", "m1", "m2"]
    assert [m.msg_id for m in box.peek(10, after_seq=first[-1].seq)] == ["m3", "m4"]
    box.remove(first[1].seq)
    assert box.ids() == ["m0", "m2", "m3", "m4"]
    assert box.peek(1)[0].payload == b"payload 0"
    assert len(box) == 4


def test_enqueue_is_idempotent_by_message_id(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "q.db")
    assert box.put("al-1", "t", b"x")
    assert not box.put("al-1", "t", b"x")
    assert box.put("al-2", "t", b"y")
    assert box.ids() == ["al-1", "al-2"]


def test_queue_survives_reopening_with_order_and_flags(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "q.db")
    box.put("a", "t/1", b"1", qos=1, retain=True)
    box.put("b", "t/2", b"2", qos=0)
    box.close()
    again = Outbox(tmp_path / "q.db")
    got = again.peek(10)
    assert [(m.msg_id, m.topic, m.payload, m.qos, m.retain) for m in got] == [
        ("a", "t/1", b"1", 1, True),
        ("b", "t/2", b"2", 0, False),
    ]
    again.put("c", "t", b"3")
    assert got[-1].seq < again.peek(10)[-1].seq


def test_message_count_bound_drops_the_oldest_and_counts_them(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "q.db", max_messages=3)
    for i in range(5):
        box.put(f"m{i}", "t", b"x")
    assert box.ids() == ["m2", "m3", "m4"]
    assert box.dropped_total == 2
    box.close()
    assert Outbox(tmp_path / "q.db", max_messages=3).dropped_total == 2


def test_size_bound_acts_like_a_full_disk_and_keeps_the_newest(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "q.db", max_bytes=256 * 1024)
    payload = os.urandom(20_000)
    for i in range(40):  # 800 KB of payloads into a 256 KiB database
        box.put(f"m{i:02d}", "t", payload)
    ids = box.ids()
    assert ids[-1] == "m39"
    assert ids == sorted(ids)
    assert box.dropped_total == 40 - len(ids) > 0
    box.close()
    assert (tmp_path / "q.db").stat().st_size <= 256 * 1024


def test_a_message_larger_than_the_whole_bound_is_refused(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "q.db", max_bytes=128 * 1024)
    box.put("small", "t", b"x")
    with pytest.raises(OutboxFullError, match="big"):
        box.put("big", "t", os.urandom(400_000))
    assert box.ids() == []  # the small one was dropped trying to make room, and counted
    assert box.dropped_total == 1


def test_concurrent_producers_lose_nothing(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "q.db")

    def produce(cam: int) -> None:
        for i in range(30):
            box.put(f"c{cam}-{i:02d}", "t", b"x")

    threads = [threading.Thread(target=produce, args=(c,)) for c in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = box.ids()
    assert len(ids) == 120
    for cam in range(4):
        mine = [i for i in ids if i.startswith(f"c{cam}-")]
        assert mine == sorted(mine)  # each producer's order is kept


_WRITER = textwrap.dedent(
    """
    import sys
    from streetorder.edge.transport.queue import Outbox
    box = Outbox(sys.argv[1])
    i = 0
    while True:
        box.put(f"m{i:06d}", "t", b"p" * 2000)
        print(f"m{i:06d}", flush=True)  # only after put() returned: committed and fsynced
        i += 1
    """
)


@pytest.mark.slow
def test_a_writer_killed_mid_write_loses_no_committed_message(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    committed: list[str] = []
    for round_ in range(3):
        child = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(db)], stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None
        deadline = time.monotonic() + 30
        seen_this_round = 0
        while seen_this_round < 40 + 17 * round_ and time.monotonic() < deadline:
            line = child.stdout.readline().strip()
            if line:
                committed.append(line)
                seen_this_round += 1
        child.send_signal(signal.SIGKILL)
        rest, _ = child.communicate()
        committed += rest.split()
        # Restart: the writer begins at m000000 again; ids already queued are ignored.
        assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        box = Outbox(db)
        ids = box.ids()
        assert set(committed) <= set(ids)
        assert ids == sorted(ids)  # insertion order, no holes in what was committed
        assert ids == [f"m{i:06d}" for i in range(len(ids))]
        box.close()
