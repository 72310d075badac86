"""The node's storage folder: one node at a time, evidence retention that spares pending files."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from streetorder.edge.runtime.storage import lock_storage, prune_evidence
from streetorder.errors import StreetorderError


def test_a_second_node_on_the_same_storage_is_refused_until_the_first_stops(
    tmp_path: Path,
) -> None:
    release = lock_storage(tmp_path)
    with pytest.raises(StreetorderError, match="already running"):
        lock_storage(tmp_path)
    release()
    lock_storage(tmp_path)()  # free again


def test_the_lock_goes_with_a_killed_process(tmp_path: Path) -> None:
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from streetorder.edge.runtime.storage import lock_storage\n"
        "lock_storage(Path(sys.argv[1])); print('locked', flush=True); time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE)
    assert child.stdout is not None and child.stdout.readline().strip() == b"locked"
    with pytest.raises(StreetorderError):
        lock_storage(tmp_path)
    child.kill()
    child.wait(10)
    lock_storage(tmp_path)()


def test_old_evidence_is_pruned_but_files_waiting_for_upload_are_kept(tmp_path: Path) -> None:
    now = time.time()
    for name, age_days in [("old.jpg", 40), ("old_pending.jpg", 40), ("new.jpg", 1)]:
        path = tmp_path / name
        path.write_bytes(b"x")
        os.utime(path, (now - age_days * 86400, now - age_days * 86400))
    removed = prune_evidence(tmp_path, 30, keep={"old_pending.jpg"}, now=now)
    assert removed == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.jpg", "old_pending.jpg"]
    assert prune_evidence(tmp_path / "missing", 30, keep=set()) == 0
