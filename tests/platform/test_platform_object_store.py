"""Evidence on an S3-protocol server: write-once, sha256 on write and read, multipart, signed
links, and the platform's evidence upload and public link running on it."""

from __future__ import annotations

import hashlib
import os
import urllib.request

import pytest

from streetorder.platform.object_store import IntegrityError, S3Store
from streetorder.platform.storage import KeyExistsError
from tests.support.s3 import KEY_ID, SECRET


def store(s3, tmp_path, **kwargs) -> S3Store:
    return S3Store(
        bucket=s3.new_bucket(), endpoint_url=s3.endpoint_url, access_key_id=KEY_ID,
        secret_access_key=SECRET, staging_dir=str(tmp_path / "staging"), **kwargs,
    )  # fmt: skip


def test_keys_are_write_once_and_a_retry_of_the_same_bytes_is_a_no_op(s3, tmp_path) -> None:
    st = store(s3, tmp_path, prefix="city-a")
    st.put("2026/12/alert-1_crop.jpg", b"first bytes")
    st.put("2026/12/alert-1_crop.jpg", b"first bytes")  # the uploader's retry
    with pytest.raises(KeyExistsError):
        st.put("2026/12/alert-1_crop.jpg", b"other bytes")
    assert st.get("2026/12/alert-1_crop.jpg") == b"first bytes"
    head = s3.client().head_object(Bucket=st.bucket, Key="city-a/2026/12/alert-1_crop.jpg")
    assert head["Metadata"]["sha256"] == hashlib.sha256(b"first bytes").hexdigest()
    assert st.exists("2026/12/alert-1_crop.jpg") and not st.exists("2026/12/nothing.jpg")
    with pytest.raises(ValueError):
        st.put("../escape.jpg", b"x")
    with pytest.raises(FileNotFoundError):
        st.get("2026/12/nothing.jpg")


def test_bytes_changed_in_the_bucket_are_caught_on_read(s3, tmp_path) -> None:
    st = store(s3, tmp_path)
    st.put("a/clip.mp4", b"the original clip")
    recorded = hashlib.sha256(b"the original clip").hexdigest()
    # Someone with bucket access overwrites the object, keeping the recorded sha256.
    s3.client().put_object(Bucket=st.bucket, Key="a/clip.mp4", Body=b"a forged clip",
                           Metadata={"sha256": recorded})  # fmt: skip
    with pytest.raises(IntegrityError):
        st.get("a/clip.mp4")


def test_a_large_staged_clip_goes_up_in_parts_and_stays_write_once(s3, tmp_path) -> None:
    st = store(s3, tmp_path, multipart_threshold_mb=5)
    data = os.urandom(12 * 1024 * 1024)
    staged = st.stage()
    for start in range(0, len(data), 1 << 20):
        staged.write(data[start : start + (1 << 20)])
    st.put_staged("clips/alert-2.mp4", staged)
    head = s3.client().head_object(Bucket=st.bucket, Key="clips/alert-2.mp4")
    assert head["ETag"].strip('"').endswith("-3")  # three parts of 5 MB, 5 MB and 2 MB
    assert st.get("clips/alert-2.mp4") == data
    other = st.stage()
    other.write(b"not the clip")
    with pytest.raises(KeyExistsError):
        st.put_staged("clips/alert-2.mp4", other)
    assert st.get("clips/alert-2.mp4") == data
    assert st.delete("clips/alert-2.mp4") and not st.exists("clips/alert-2.mp4")
    assert not st.delete("clips/alert-2.mp4")


def test_signed_links_serve_the_object(s3, tmp_path) -> None:
    st = store(s3, tmp_path)
    st.put("a/frame.jpg", b"jpeg bytes")
    with urllib.request.urlopen(st.url("a/frame.jpg", expires_seconds=60), timeout=5) as r:
        assert r.read() == b"jpeg bytes"
    link = st.url("a/frame.jpg", expires_seconds=120)
    assert "X-Amz-Signature=" in link and "X-Amz-Expires=120" in link  # SigV4, time-limited


def test_the_platform_keeps_uploaded_evidence_in_the_bucket(s3, platform_factory) -> None:
    bucket = s3.new_bucket()
    p = platform_factory(evidence={
        "backend": "s3", "s3": {"bucket": bucket, "endpoint_url": s3.endpoint_url,
                                "access_key_id": KEY_ID, "secret_access_key": SECRET},
    })  # fmt: skip
    alert = p.alerts()
    p.deliver(alert)
    p.upload_evidence(alert)
    p.upload_evidence(alert, expect=200)  # a retry of the same bytes is accepted again
    keys = [o["Key"] for o in s3.client().list_objects_v2(Bucket=bucket).get("Contents", [])]
    files = p.alerts.files[alert.alert_id]
    assert len(keys) == len(files)
    for name, data in files.items():
        (key,) = [k for k in keys if k.endswith(name)]
        assert s3.client().get_object(Bucket=bucket, Key=key)["Body"].read() == data


def test_the_console_sends_viewers_to_a_short_lived_signed_link(s3, platform_factory) -> None:
    from tests.platform.conftest import PASSWORD
    from tests.web.test_console_http import login

    bucket = s3.new_bucket()
    p = platform_factory(evidence={
        "backend": "s3", "s3": {"bucket": bucket, "endpoint_url": s3.endpoint_url,
                                "access_key_id": KEY_ID, "secret_access_key": SECRET,
                                "url_expiry_seconds": 90},
    })  # fmt: skip
    alert = p.alerts()
    p.deliver(alert)
    p.upload_evidence(alert)
    path = f"/console/evidence/{alert.alert_id}/clean.jpg"
    assert p.client.get(path, follow_redirects=False).status_code in (302, 303, 401)  # no login
    assert login(p.client, "reviewer", PASSWORD).status_code in (302, 303)
    answer = p.client.get(path, follow_redirects=False)
    assert answer.status_code == 307
    link = answer.headers["location"]
    assert "X-Amz-Expires=90" in link and answer.headers["cache-control"] == "no-store"
    with urllib.request.urlopen(link, timeout=5) as served:
        assert served.read() == p.alerts.files[alert.alert_id]["clean.jpg"]
        assert served.headers["Content-Type"] == "image/jpeg"


def test_the_merchants_link_leads_to_a_signed_link_of_the_blurred_rendition(
    s3, platform_factory
) -> None:
    from tests.platform.test_platform_privacy import (
        PERSON,
        alert_with_people,
        confirmed_case,
        pixels,
        public_page,
    )

    bucket = s3.new_bucket()
    p = platform_factory(evidence={
        "backend": "s3", "s3": {"bucket": bucket, "endpoint_url": s3.endpoint_url,
                                "access_key_id": KEY_ID, "secret_access_key": SECRET},
    })  # fmt: skip
    alert = alert_with_people(p, (PERSON,))
    page = public_page(p, confirmed_case(p, alert)["id"])
    public = next(f for f in page["files"] if f["kind"] == "clean_frame")
    answer = p.client.get(public["url"], follow_redirects=False)
    assert answer.status_code == 307 and "X-Amz-Signature=" in answer.headers["location"]
    with urllib.request.urlopen(answer.headers["location"], timeout=5) as served:
        assert served.headers["Content-Type"] == "image/png"
        rendition = served.read()
    x1, y1, x2, y2 = (int(v) for v in PERSON)
    before = pixels(p.alerts.files[alert.alert_id]["clean.jpg"])
    assert abs(pixels(rendition)[y1:y2, x1:x2] - before[y1:y2, x1:x2]).mean() > 40  # blurred
    assert p.client.get(public["url"] + "0", follow_redirects=False).status_code == 403
