"""Idempotent writes and refused uploads: retries never duplicate, bad files leave nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from streetorder.mobile_api.db import Inspection, Photo, WorkOrderAction
from tests.mobile_api import photo_factory as pf
from tests.mobile_api.world import World

CLEAN = {"out_of_shop_trading": "pass", "pavement_occupied": "pass", "frontage_clean": "pass",
         "signboard_safe": "pass", "waste_sorted": "pass"}  # fmt: skip


def count(world: World, model) -> int:
    with world.db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def stored_files(world: World) -> list:
    root = world.settings.evidence.dir
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_retried_upload_and_inspection_write_once(world: World) -> None:
    raw = pf.jpeg(seed=5)
    files = {"file": ("a.jpg", raw, "image/jpeg")}
    first = world.post("officer-a", "/photos", key="photo-key-0001", files=files)
    second = world.post("officer-a", "/photos", key="photo-key-0001", files=files)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() and second.headers.get("Idempotent-Replayed") == "true"
    assert count(world, Photo) == 1

    body = {"merchant_id": world.shops["shop-1"], "answers": CLEAN, "notes": "ok",
            "photo_ids": [first.json()["id"]]}  # fmt: skip
    one = world.post("officer-a", "/inspections", key="inspect-key-0001", json=body)
    two = world.post("officer-a", "/inspections", key="inspect-key-0001", json=body)
    assert one.status_code == two.status_code == 201 and one.json() == two.json()
    assert count(world, Inspection) == 1
    # the same key for a different request is refused, not silently replayed
    other = world.post("officer-a", "/inspections", key="inspect-key-0001",
                       json=body | {"notes": "changed"})  # fmt: skip
    assert other.status_code == 409
    # keys are per user: another officer's identical key is a different write
    assert world.post("leader-a", "/inspections", key="inspect-key-0001", json=body | {
        "photo_ids": []}).status_code == 201  # fmt: skip
    assert count(world, Inspection) == 2
    # without a key, a repeat is a new record
    world.post("officer-a", "/photos", files=files)
    assert count(world, Photo) == 2
    bad_key = world.post("officer-a", "/photos", key="short", files=files)
    assert bad_key.status_code == 422


def test_retried_field_action_logs_once(world: World) -> None:
    _, order_id, _ = world.dispatch_alert("shop-2")
    path = f"/work-orders/{order_id}/order-to-correct"
    for _ in range(3):
        response = world.post("officer-a", path, key="order-key-00001", json={"note": "责令"})
        assert response.status_code == 200
    with world.db.session() as session:
        actions = session.scalars(select(WorkOrderAction.action)).all()
    assert actions == ["acknowledged", "ordered_to_correct"]


def test_bad_uploads_are_refused_and_leave_nothing(world: World) -> None:
    _, order_id, _ = world.dispatch_alert("shop-1")
    before = stored_files(world)
    too_big = pf.jpeg() + b"\0" * (10 * 1024 * 1024)
    # the officer app reads why in Chinese (its language), with the reason's stable code
    cases = [
        ("note.txt", b"not a photo" * 50, "text/plain", 415, "not_an_image", "不是可识别的图片"),
        ("a.gif", pf.gif(), "image/gif", 415, "format_refused", "不接受GIF文件"),
        ("cut.jpg", pf.truncated_jpeg(), "image/jpeg", 422, "corrupt", "截断或损坏"),
        ("big.jpg", too_big, "image/jpeg", 413, "too_large", "照片超过10 MB"),
        ("empty.jpg", b"", "image/jpeg", 422, "empty", "照片是空文件"),
        ("bomb.png", pf.png_claiming(100_000, 100_000), "image/png", 422, "bomb", "像素过多"),
        ("zeros.png", pf.zero_filled_png(20_000, 20_000), "image/png", 422, "bomb", "像素过多"),
        ("polyglot.jpg", pf.jpeg_zip_polyglot(), "image/jpeg", 422, "rider", "ZIP压缩包"),
    ]  # fmt: skip
    for path in ("/photos", f"/work-orders/{order_id}/photos"):
        for name, data, ctype, status, code, message in cases:
            response = world.post("officer-a", path, files={"file": (name, data, ctype)})
            assert response.status_code == status, (path, name, response.text)
            assert response.json()["code"] == f"upload.{code}", (name, response.json())
            assert message in response.json()["detail"], (name, response.json())
        missing = world.post("officer-a", path, data={"x": "1"})
        assert missing.status_code == 422
    huge = pf.jpeg() + b"\0" * (30 * 1024 * 1024)  # refused from its Content-Length
    response = world.post("officer-a", "/photos", files={"file": ("huge.jpg", huge, "image/jpeg")})
    assert response.status_code == 413 and "MB (Content-Length)" in response.json()["detail"]
    assert count(world, Photo) == 0
    assert stored_files(world) == before
    heic = world.post("officer-a", "/photos", files={"file": ("a.heic", pf.heic(), "image/heic")})
    assert heic.status_code == 201 and heic.json()["content_type"] == "image/jpeg"
    assert heic.json()["original_format"] == "HEIF"
