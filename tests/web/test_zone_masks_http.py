"""The zone editor's scene tools over HTTP: roles, CSRF, one-sentence refusals, and what the
page shows after a reviewer rejected an alert as a fixed structure (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from streetorder.platform.db import Camera, ConfigPushRecord, IgnoreRegionRecord
from streetorder.platform.domain.ignore_regions import FIXED_STRUCTURE_LABEL
from tests.web.conftest import Console, prefer_language
from tests.web.test_console_http import add_alerts, login, page_csrf

MASKS_RE = re.compile(r'<script type="application/json" id="masks-data">(.*?)</script>', re.S)


def test_masks_and_reference_in_the_zone_editor(console: Console) -> None:
    env = console
    (case_id,) = add_alerts(env, 1)
    prefer_language(env, "reviewer", "en")  # this test reads the English texts
    prefer_language(env, "admin", "en")
    reviewer = TestClient(env.app)
    login(reviewer, "reviewer")
    token = page_csrf(reviewer, "/console/queue")
    r = reviewer.post(
        f"/console/cases/{case_id}/review", headers={"X-CSRF-Token": token},
        json={"verdict": "reject", "reason": FIXED_STRUCTURE_LABEL},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    assert "ignored on its camera from now on (mask-1" in r.json()["summary"]
    with env.db.session() as s:
        camera_id = s.scalar(select(Camera.id))
        codes = list(s.scalars(select(IgnoreRegionRecord.code).order_by(IgnoreRegionRecord.id)))
        pushes = list(s.scalars(select(ConfigPushRecord)))
    assert codes[0] == "mask-1" and len(pushes) == 1
    assert not pushes[0].published  # no broker in this test: saved, published later
    assert reviewer.post(
        f"/console/zones/{camera_id}/masks/mask-1/remove", headers={"X-CSRF-Token": token}
    ).status_code == 403  # fmt: skip

    admin = TestClient(env.app)
    login(admin, "admin")
    page = admin.get(f"/console/zones/{camera_id}")
    assert page.status_code == 200
    shown = json.loads(MASKS_RE.search(page.text)[1])
    assert [m["code"] for m in shown] == codes and shown[0]["created_by"] == "reviewer reviewer"
    assert "No reference requested" in page.text
    token = page_csrf(admin, f"/console/zones/{camera_id}")
    base = f"/console/zones/{camera_id}"
    headers = {"X-CSRF-Token": token}
    assert admin.post(f"{base}/masks/mask-1/remove").status_code == 403  # no CSRF token
    r = admin.post(f"{base}/masks/mask-99/remove", headers=headers)
    assert r.status_code == 404 and "no ignore region mask-99" in r.json()["detail"]
    r = admin.post(f"{base}/masks/mask-1/remove", headers=headers)
    assert r.status_code == 200 and r.json() == {"revision": 2, "removed": "mask-1"}
    r = admin.post(f"{base}/masks/mask-1/remove", headers=headers)
    assert r.status_code == 409 and "already removed by admin" in r.json()["detail"]

    # the clock is 10:00 in Shanghai: 09:00 today has passed, 25:00 is no time
    r = admin.post(f"{base}/reference", headers=headers, json={"when": "at", "time": "09:00"})
    assert r.status_code == 422 and "has passed" in r.json()["detail"]
    r = admin.post(f"{base}/reference", headers=headers, json={"when": "at", "time": "25:00"})
    assert r.status_code == 422 and "not HH:MM" in r.json()["detail"]
    r = admin.post(f"{base}/reference", headers=headers, json={"when": "at"})
    assert r.status_code == 422 and r.json()["detail"] == "time: give HH:MM"
    r = admin.post(f"{base}/reference", headers=headers, json={"when": "clear"})
    assert r.status_code == 409 and "no reference request" in r.json()["detail"]
    r = admin.post(
        f"{base}/reference",
        headers=headers,
        json={"when": "at", "time": "09:00", "day": "tomorrow"},
    )
    assert r.status_code == 200, r.text
    text = r.json()["reference"]
    assert "first frame at or after 2026-11-21 09:00" in text and "set by admin admin" in text
    assert "not published (no broker connection)" in text
    assert "2026-11-21 09:00" in admin.get(base).text
    r = admin.post(f"{base}/reference", headers=headers, json={"when": "clear"})
    assert r.status_code == 200 and "No reference requested" in r.json()["reference"]
    with env.db.session() as s:
        assert s.get(Camera, camera_id).reference_set_by == "admin"  # the user name
        assert max(s.scalars(select(ConfigPushRecord.revision))) == 4
