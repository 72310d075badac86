"""Stored evidence is write-once: the same bytes again are a no-op (an uploader's retry), other
bytes under the same key are refused (409) and the first file stays."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from streetorder.platform.storage import FileSystemStore, KeyExistsError
from tests.platform.conftest import jpeg_bytes


def test_file_store_keys_are_write_once(tmp_path: Path) -> None:
    store = FileSystemStore(tmp_path)
    first, other = jpeg_bytes((10, 20, 30)), jpeg_bytes((200, 20, 30))
    store.put("alerts/a/clean.jpg", first)
    store.put("alerts/a/clean.jpg", first)  # a retry
    with pytest.raises(KeyExistsError, match="alerts/a/clean.jpg already holds other content"):
        store.put("alerts/a/clean.jpg", other)
    assert store.get("alerts/a/clean.jpg") == first
    assert sorted(p.name for p in (tmp_path / "alerts" / "a").iterdir()) == ["clean.jpg"]


def test_an_upload_never_replaces_stored_evidence(platform) -> None:
    p = platform
    alert = p.alerts()
    p.deliver(alert)
    clean = p.alerts.files[alert.alert_id]["clean.jpg"]
    key = f"alerts/{p.clock.now:%Y/%m/%d}/{alert.alert_id}/clean.jpg"
    squatter = jpeg_bytes((1, 2, 3))
    store = FileSystemStore(p.settings.evidence.dir)
    store.put(key, squatter)  # other bytes already under the key the upload will use
    r = p.client.put(
        f"/api/v1/alerts/{alert.alert_id}/evidence/clean.jpg", content=clean,
        headers={**p.as_node(), "Content-Type": "image/jpeg",
                 "X-Content-Sha256": hashlib.sha256(clean).hexdigest()},
    )  # fmt: skip
    assert r.status_code == 409 and "already stored with other content" in r.json()["detail"]
    assert "retry-after" not in r.headers  # final: the edge's uploader gives up with the reason
    assert store.get(key) == squatter
    assert p.case_of(alert.alert_id)["evidence"] == []


def test_evidence_before_its_alert_is_a_conflict_to_retry(platform) -> None:
    p = platform
    alert = p.alerts()
    clean = p.alerts.files[alert.alert_id]["clean.jpg"]
    r = p.client.put(
        f"/api/v1/alerts/{alert.alert_id}/evidence/clean.jpg", content=clean,
        headers={**p.as_node(), "Content-Type": "image/jpeg",
                 "X-Content-Sha256": hashlib.sha256(clean).hexdigest()},
    )  # fmt: skip
    assert r.status_code == 409 and r.json()["detail"] == "alert not yet received"
    assert r.headers["retry-after"] == "5"
