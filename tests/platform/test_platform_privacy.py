"""Bystanders' privacy and retention.

- The merchant's signed link shows frames in which every person is blurred (from the person
  boxes the edge lists per image), the rest of the picture pixel for pixel the original; where
  the boxes are unknown, all but the alert's objects is blurred. The originals stay, unchanged
  and hash-verified, for staff.
- The retention job deletes, a configured period after closure, exactly the due cases' evidence
  files, SMS phone numbers/names/texts and reporters' contacts, and writes one audit row each.

SQLite and PostgreSQL (the ``platform`` fixture), real HTTP app, files from real JPEG encoders.
"""

from __future__ import annotations

import hashlib
import io

import numpy as np
from PIL import Image
from sqlalchemy import select

from streetorder.contracts import Alert
from streetorder.mobile_api.db import Photo
from streetorder.platform.db import Case, SmsMessage, User
from streetorder.platform.db.audit import RetentionRecord
from streetorder.platform.db.open311 import CitizenReport
from streetorder.platform.imaging.rendition import blur_people
from streetorder.platform.services import evidence, retention
from streetorder.platform.settings import RetentionSettings
from streetorder.platform.sms.providers import OutboxProvider
from streetorder.platform.storage import make_store
from streetorder.server.jobs import PeriodicJobs
from tests.platform.conftest import Platform

SIZE = (320, 240)
PERSON = (200.0, 60.0, 250.0, 200.0)  # x1, y1, x2, y2 in the frame's pixels
GOODS = (10, 120, 90, 220)  # where the alert's object is (AlertFactory's box, scaled below)


def textured_frame(seed: int) -> bytes:
    """A noisy street-like JPEG with a patterned "person" (blur must change it visibly)."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (SIZE[1], SIZE[0], 3), dtype=np.uint8)
    x1, y1, x2, y2 = (int(v) for v in PERSON)
    stripes = (np.indices((y2 - y1, x2 - x1))[0] // 4 % 2 * 255).astype(np.uint8)
    pixels[y1:y2, x1:x2] = stripes[..., None]
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="JPEG", quality=92)
    return out.getvalue()


def pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.int16)


def alert_with_people(p: Platform, persons: tuple | None, **kwargs) -> Alert:
    """An alert from the factory whose two frames are textured and list ``persons``."""
    alert = p.alerts(**kwargs)
    files = p.alerts.files[alert.alert_id]
    refs = []
    for n, ref in enumerate(alert.evidence):
        data = textured_frame(len(p.alerts.files) * 10 + n)
        files[ref.filename] = data
        refs.append(ref.model_copy(update={
            "sha256": hashlib.sha256(data).hexdigest(), "size_bytes": len(data),
            "persons": persons,
        }))  # fmt: skip
    return alert.model_copy(update={"evidence": tuple(refs), "frame_size": SIZE})


def confirmed_case(p: Platform, alert: Alert) -> dict:
    p.deliver(alert)
    p.upload_evidence(alert)
    case = p.case_of(alert.alert_id)
    return p.post("reviewer", f"/cases/{case['id']}/confirm", {"note": "goods"})


def public_page(p: Platform, case_id: int) -> dict:
    sig = p.rules.signer.sign_link(f"case:{case_id}")
    r = p.client.get(f"/api/v1/public/cases/{case_id}/evidence", params={"sig": sig})
    assert r.status_code == 200, r.text
    return r.json()


def test_rendition_blurs_people_strongly_and_leaves_every_other_pixel() -> None:
    original = textured_frame(1)
    out = blur_people(original, [PERSON])
    before, after = pixels(original), pixels(out)
    assert Image.open(io.BytesIO(out)).format == "PNG"
    x1, y1, x2, y2 = (int(v) for v in PERSON)
    person_change = np.abs(after[y1:y2, x1:x2] - before[y1:y2, x1:x2]).mean()
    assert person_change > 40  # stripes gone: mean change of 40+ levels of 255
    outside = np.ones(before.shape[:2], bool)
    outside[y1 - 20 : y2 + 20, x1 - 10 : x2 + 10] = False  # the box and its margin
    assert np.array_equal(after[outside], before[outside])


def test_public_link_shows_blurred_frames_and_staff_keep_the_verified_originals(platform) -> None:
    p = platform
    alert = alert_with_people(p, (PERSON,))
    case = confirmed_case(p, alert)
    page = public_page(p, case["id"])
    assert sorted(f["kind"] for f in page["files"]) == ["annotated_frame", "clean_frame"]
    x1, y1, x2, y2 = (int(v) for v in PERSON)
    for public in page["files"]:
        original = p.alerts.files[alert.alert_id][
            "clean.jpg" if public["kind"] == "clean_frame" else "annotated.jpg"
        ]
        assert public["sha256"] == hashlib.sha256(original).hexdigest()
        r = p.client.get(public["url"])
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        before, after = pixels(original), pixels(r.content)
        assert np.abs(after[y1:y2, x1:x2] - before[y1:y2, x1:x2]).mean() > 40
        outside = np.ones(before.shape[:2], bool)
        outside[y1 - 20 : y2 + 20, x1 - 10 : x2 + 10] = False
        assert np.array_equal(after[outside], before[outside])
        assert p.client.get(public["url"]).content == r.content  # made once, kept
    # staff get the original bytes, whose sha256 is the alert's record
    for stored in p.case_of(alert.alert_id)["evidence"]:
        got = p.client.get(stored["url"], headers=p.login("reviewer"))
        assert got.content == p.alerts.files[alert.alert_id][stored["filename"]]
        assert hashlib.sha256(got.content).hexdigest() == stored["sha256"]
    # a file that is not a public frame, or a forged signature, is not served
    photo_id = p.photo(case["id"])
    sig = p.rules.signer.sign_link(f"file:{photo_id}")
    assert (
        p.client.get(f"/api/v1/public/evidence/{photo_id}", params={"sig": sig}).status_code == 404
    )
    assert p.client.get(page["files"][0]["url"] + "0").status_code == 403


def test_unknown_people_blur_all_but_the_alerts_objects(platform) -> None:
    p = platform
    alert = alert_with_people(p, None)  # an edge from before EvidenceRef.persons
    case = confirmed_case(p, alert)
    [clean] = [f for f in public_page(p, case["id"])["files"] if f["kind"] == "clean_frame"]
    before = pixels(p.alerts.files[alert.alert_id]["clean.jpg"])
    after = pixels(p.client.get(clean["url"]).content)
    gx1, gy1, gx2, gy2 = (int(v) for v in alert.objects[0].box_xyxy)
    assert np.array_equal(after[gy1:gy2, gx1:gx2], before[gy1:gy2, gx1:gx2])  # goods sharp
    assert np.abs(after[:100, 150:] - before[:100, 150:]).mean() > 40  # the street is not


def closed_case(p: Platform, alert: Alert) -> int:
    case = confirmed_case(p, alert)
    p.clock.advance(hours=1)
    p.rectify_with_photo(case["id"])
    p.post("reviewer", f"/cases/{case['id']}/verify")
    assert p.post("reviewer", f"/cases/{case['id']}/close")["state"] == "closed"
    return case["id"]


def add_report(p: Platform, case_id: int) -> None:
    with p.db.session() as s:
        s.add(CitizenReport(
            token=f"t{case_id}", service_code="out_of_shop_trading", source="open311",
            case_id=case_id, requested_at=p.clock.now, reporter_first_name="Li",
            reporter_last_name="Wei", reporter_email="li@example.cn", reporter_phone="13900001111",
            device_id="phone-1",
        ))  # fmt: skip


def add_app_photo(p: Platform, case_id: int) -> None:
    """The officer app's row of a rectification photo, with where it was taken."""
    with p.db.session() as s:
        officer = s.scalar(select(User.id).filter_by(username="officer"))
        s.add(Photo(
            purpose="rectification", case_id=case_id, storage_key=f"cases/{case_id}/x.jpg",
            content_type="image/jpeg", size_bytes=1, width=1, height=1, sha256="0" * 64,
            original_sha256="0" * 64, original_format="JPEG", original_size=1,
            latitude=31.2, longitude=121.5, uploaded_by=officer, uploaded_at=p.clock.now,
        ))  # fmt: skip


def test_retention_deletes_exactly_what_is_due_and_writes_the_audit(platform) -> None:
    p = platform
    store = make_store(p.settings.evidence)
    old = closed_case(p, alert_with_people(p, (PERSON,)))
    a = alert_with_people(p, (), zone="z2", shop="shop-002")
    p.deliver(a)
    p.upload_evidence(a)
    rejected_old = p.case_of(a.alert_id)["id"]
    p.post("reviewer", f"/cases/{rejected_old}/reject", {"reason": "shadow, not goods"})
    for case_id in (old, rejected_old):
        add_report(p, case_id)
    old_page = public_page(p, old)  # its rendition is made before the purge
    assert p.client.get(old_page["files"][0]["url"]).status_code == 200
    p.clock.advance(days=200)
    recent = closed_case(p, alert_with_people(p, (PERSON,), zone="z2", shop="shop-002"))
    add_report(p, recent)
    still_open = confirmed_case(p, alert_with_people(p, ()))["id"]
    p.clock.advance(days=170)  # old: closed 370 days ago; recent: 170 days ago

    def files_of(case_id: int) -> list[tuple[int, str, str]]:
        with p.db.session() as s:
            case = s.get(Case, case_id)
            return [(f.id, f.storage_key, f.sha256) for f in evidence.case_files(s, case=case)]

    kept_before = {c: files_of(c) for c in (recent, still_open)}
    due_files = {c: files_of(c) for c in (old, rejected_old)}
    assert all(store.exists(k) for files in due_files.values() for _, k, _ in files)
    policy = retention.RetentionPolicy(days_after_closure=365)
    with p.db.session() as s:
        records = retention.purge_due(s, store=store, policy=policy, now=p.clock.now)
        assert sorted(r.case_id for r in records) == sorted([old, rejected_old])
    with p.db.session() as s:
        audit = {r.case_id: r for r in s.scalars(select(RetentionRecord))}
        assert set(audit) == {old, rejected_old}
        for case_id, files in due_files.items():
            row = audit[case_id]
            assert row.files_deleted == len(files) > 0
            assert sorted(f["sha256"] for f in row.files) == sorted(sha for _, _, sha in files)
            assert row.period_days == 365 and row.purged_at == p.clock.now
            assert not any(store.exists(k) for _, k, _ in files)
            assert row.sms_redacted == (1 if case_id == old else 0)
            assert row.reports_redacted == 1
        sms = {m.case_id: m for m in s.scalars(select(SmsMessage))}
        assert sms[old].mobile == "" and sms[old].body == retention.REDACTED
        assert sms[old].recipient == "" and sms[old].state  # the record of sending stays
        assert sms[recent].mobile.startswith("138") and sms[recent].body != retention.REDACTED
        reports = {r.case_id: r for r in s.scalars(select(CitizenReport))}
        assert reports[old].reporter_phone is None and reports[old].reporter_email is None
        assert reports[old].reporter_first_name is None and reports[old].device_id is None
        assert reports[recent].reporter_phone == "13900001111"
    for case_id, files in kept_before.items():
        assert files_of(case_id) == files and all(store.exists(k) for _, k, _ in files)
    # the merchant's old link shows nothing any more; a second run finds nothing due
    assert public_page(p, old)["files"] == []
    assert p.client.get(old_page["files"][0]["url"]).status_code == 404
    with p.db.session() as s:
        assert retention.purge_due(s, store=store, policy=policy, now=p.clock.now) == []
    p.clock.advance(days=200)  # now recent is due too: the periodic jobs purge it
    for case_id in (recent, still_open):
        add_app_photo(p, case_id)
    jobs = PeriodicJobs(
        p.db, p.rules, OutboxProvider(), clock=p.clock, store=store,
        retention=RetentionSettings(days_after_closure=365),
    )  # fmt: skip
    assert jobs.run_once()["cases_purged"] == 1
    with p.db.session() as s:
        where = {ph.case_id: (ph.latitude, ph.longitude) for ph in s.scalars(select(Photo))}
    assert where == {recent: (None, None), still_open: (31.2, 121.5)}  # the app's GPS goes too
    with p.db.session() as s:
        assert sorted(s.scalars(select(RetentionRecord.case_id))) == sorted(
            [old, rejected_old, recent]
        )


def test_the_sms_link_opened_on_a_phone_is_a_chinese_page_with_the_blurred_frames(
    platform,
) -> None:
    """The merchant taps the link in the SMS: a browser gets a page in Chinese with the same
    blurred frames the JSON names; a broken link says so in Chinese; API clients keep JSON."""
    import re

    p = platform
    alert = alert_with_people(p, (PERSON,))
    case = confirmed_case(p, alert)
    with p.db.session() as session:
        body = session.scalars(select(SmsMessage.body).filter_by(case_id=case["id"])).first()
    link = re.search(r"(/api/v1/public/cases/\d+/evidence\?sig=\S+)$", body)[1]
    phone = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8", "Accept-Language": "zh-CN"}
    page = p.client.get(link, headers=phone)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert f"案件 {case['number']} 的证据" in html and "图中行人已做模糊处理" in html
    files = public_page(p, case["id"])["files"]
    for f in files:
        assert f'src="{f["url"].replace("&", "&amp;")}"' in html or f'src="{f["url"]}"' in html
        assert f["sha256"] in html
    visible = re.sub(r"<[^>]*>", " ", html.split("<main>")[1])
    assert "原图" in visible and "标注图" in visible and "frame" not in visible
    img = re.search(r'<img src="([^"]+)"', html)[1].replace("&amp;", "&")
    assert p.client.get(img).headers["content-type"] == "image/png"
    broken = p.client.get(link[:-3], headers=phone)
    assert broken.status_code == 403 and "此链接无效或不完整" in broken.text
    assert p.client.get(link).headers["content-type"] == "application/json"
    assert p.client.get(link[:-3]).json()["detail"] == "invalid link"
