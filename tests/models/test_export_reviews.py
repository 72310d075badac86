"""``models export-reviews``: reviewers' verdicts become a YOLO data set that trains.

The export reads the platform only through its JSON API, here served by uvicorn on a free port.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from streetorder.errors import StreetorderError
from streetorder.models.feedback.cli import add_export_reviews
from streetorder.models.feedback.export import split_of, yolo_label_lines
from streetorder.platform.domain.roles import Actor, Role
from streetorder.platform.services import cases
from streetorder.vocabulary import CLASS_IDS, CLASS_NAMES
from tests.web.browser_support import free_port, serve
from tests.web.conftest import Console, build_console
from tests.web.seeding import PASSWORD, evidence_sets, ingest_with_evidence, make_alert


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREETORDER_PASSWORD", PASSWORD)


@pytest.fixture
def reviewed(tmp_path: Path):
    """8 reviewed alerts (5 confirmed, 3 rejected) and 1 still pending, with stored evidence;
    the platform served at the yielded URL."""
    env: Console = build_console(f"sqlite:///{tmp_path / 'platform.db'}", tmp_path)
    rules, store = env.state.rules, env.state.store
    reviewer = Actor(Role.REVIEWER, "reviewer", user_id=env.registry.users["reviewer"])
    sets = evidence_sets(4)
    verdicts: dict[str, tuple[str, tuple]] = {}
    for i in range(9):
        at = env.clock.now - timedelta(hours=9 - i)
        alert, files = make_alert(
            sets[i % 4], shop=env.registry.shops[i], crossed_at=at, directory=env.evidence_tmp,
            n=i, clip=False,
        )  # fmt: skip
        case_id = ingest_with_evidence(env.db, store, rules, alert, files, now=at)
        with env.db.session() as s:
            if i == 8:
                verdict = "pending"
            elif i % 3 == 2:
                cases.reject(s, case_id=case_id, actor=reviewer, rules=rules, now=at,
                             reason="Person or vehicle taken for goods")  # fmt: skip
                verdict = "rejected"
            else:
                cases.confirm(s, case_id=case_id, actor=reviewer, rules=rules, now=at)
                verdict = "confirmed"
        verdicts[alert.alert_id] = (verdict, alert.objects)
    with serve(env.app) as url:
        yield env, url, verdicts
    env.db.dispose()


def export(url: str, out: Path, *extra: str, user: str = "reviewer") -> str:
    parser = argparse.ArgumentParser()
    add_export_reviews(parser.add_subparsers())
    argv = ["export-reviews", "--out", str(out), "--platform", url, "--user", user, *extra]
    args = parser.parse_args(argv)
    return str(args.func(args))


def read_labels(path: Path) -> list[list[float]]:
    return [[float(v) for v in line.split()] for line in path.read_text().splitlines()]


def test_confirmed_become_labelled_images_and_rejected_hard_negatives(
    reviewed, tmp_path: Path
) -> None:
    env, url, verdicts = reviewed
    out = tmp_path / "reviews"
    export(url, out)
    data = yaml.safe_load((out / "data.yaml").read_text())
    assert data["names"] == dict(enumerate(CLASS_NAMES))
    assert (out / data["train"]).is_dir() and (out / data["val"]).is_dir()
    rows = [json.loads(line) for line in (out / "reviews.jsonl").read_text().splitlines()]
    assert {r["alert_id"] for r in rows} == {a for a, (v, _) in verdicts.items() if v != "pending"}
    assert len(list(out.glob("images/val/*.jpg"))) >= 1
    for row in rows:
        verdict, objects = verdicts[row["alert_id"]]
        image = out / row["image"]
        label = out / row["image"].replace("images/", "labels/").replace(".jpg", ".txt")
        assert hashlib.sha256(image.read_bytes()).hexdigest() == row["sha256"]
        lines = read_labels(label)
        assert row["verdict"] == verdict
        if verdict == "rejected":
            assert lines == [] and row["reason"] == "Person or vehicle taken for goods"
            continue
        assert len(lines) == len(objects)
        for (cls, cx, cy, w, h), obj in zip(lines, objects, strict=True):
            x1, y1, x2, y2 = obj.box_xyxy
            assert cls == CLASS_IDS[obj.class_name]
            assert cx == pytest.approx((x1 + x2) / 2 / 640, abs=1e-5)
            assert cy == pytest.approx((y1 + y2) / 2 / 360, abs=1e-5)
            assert w == pytest.approx((x2 - x1) / 640, abs=1e-5)
            assert h == pytest.approx((y2 - y1) / 360, abs=1e-5)


def test_a_tampered_frame_is_skipped_and_reported(reviewed, tmp_path: Path) -> None:
    env, url, verdicts = reviewed
    evidence_dir = Path(env.settings.evidence.dir)
    victim = sorted(evidence_dir.rglob("*_clean.jpg"))[0]
    victim.write_bytes(victim.read_bytes() + b"tampered")
    out = tmp_path / "reviews"
    export(url, out)
    rows = (out / "reviews.jsonl").read_text().splitlines()
    reviewed_count = sum(1 for v, _ in verdicts.values() if v != "pending")
    assert len(rows) == reviewed_count - 1
    assert victim.stem.removesuffix("_clean") not in "".join(rows)


def test_refuses_a_foreign_folder_and_replaces_an_export_only_with_force(
    reviewed, tmp_path: Path
) -> None:
    env, url, _ = reviewed
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "thesis.txt").write_text("keep me")
    with pytest.raises(StreetorderError, match="not an earlier export"):
        export(url, foreign)
    assert (foreign / "thesis.txt").read_text() == "keep me"
    out = tmp_path / "reviews"
    export(url, out)
    with pytest.raises(StreetorderError, match="--force"):
        export(url, out)
    export(url, out, "--force")
    assert len((out / "reviews.jsonl").read_text().splitlines()) == 8


def test_nothing_reviewed_is_a_clear_error(tmp_path: Path) -> None:
    env = build_console(f"sqlite:///{tmp_path / 'platform.db'}", tmp_path)
    try:
        with serve(env.app) as url, pytest.raises(StreetorderError, match="no reviewed alerts"):
            export(url, tmp_path / "out")
    finally:
        env.db.dispose()


@pytest.mark.parametrize(
    ("objects", "lines", "unknown"),
    [
        ([{"class_name": "goods", "box_xyxy": [0, 0, 50, 100]}],
         ["0 0.250000 0.500000 0.500000 1.000000"], []),
        ([{"class_name": "rack", "box_xyxy": [-20, 50, 50, 150]}],  # clipped to the frame
         ["1 0.250000 0.750000 0.500000 0.500000"], []),
        ([{"class_name": "goods", "box_xyxy": [120, 0, 130, 10]}], [], []),
        ([{"class_name": "dragon", "box_xyxy": [0, 0, 10, 10]}], [], ["dragon"]),
    ],
)  # fmt: skip
def test_yolo_lines_clip_boxes_and_name_unknown_classes(objects, lines, unknown) -> None:
    assert yolo_label_lines(objects, (100, 100)) == (lines, unknown)


def test_split_is_stable_and_near_the_share() -> None:
    ids = [f"al-{i:06d}" for i in range(2000)]
    val = [i for i in ids if split_of(i, 0.2) == "val"]
    assert 0.17 < len(val) / len(ids) < 0.23
    assert val == [i for i in ids if split_of(i, 0.2) == "val"]


def test_an_unreachable_platform_is_one_clear_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(StreetorderError, match="cannot reach the platform at http://127.0.0.1"):
        export(url, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_wrong_password_or_role_is_refused_before_writing(
    reviewed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, url, _ = reviewed
    with pytest.raises(
        StreetorderError, match="answered 403 .*needs (admin, reviewer|reviewer, admin)"
    ):
        export(url, tmp_path / "out", user="officer")  # officers may not read every review
    monkeypatch.setenv("STREETORDER_PASSWORD", "not-the-password")
    with pytest.raises(StreetorderError, match="answered 401 .*wrong username or password"):
        export(url, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_frame_missing_from_the_store_is_skipped(reviewed, tmp_path: Path) -> None:
    env, url, verdicts = reviewed
    victim = sorted(Path(env.settings.evidence.dir).rglob("*_clean.jpg"))[0]
    victim.unlink()
    out = tmp_path / "reviews"
    export(url, out)
    rows = (out / "reviews.jsonl").read_text().splitlines()
    assert len(rows) == sum(1 for v, _ in verdicts.values() if v != "pending") - 1


def test_the_real_cli_registers_export_reviews() -> None:
    from streetorder.cli import build_parser

    args = build_parser().parse_args(["models", "export-reviews", "--out", "x", "--user", "u"])
    assert args.func.__name__ == "run_export_reviews"


@pytest.mark.train
@pytest.mark.slow
def test_the_export_trains_with_models_train(reviewed, tmp_path: Path) -> None:
    """Smoke-sized: one epoch at 64 px from the model YAML, on the export alone."""
    pytest.importorskip("ultralytics")
    env, url, _ = reviewed
    out = tmp_path / "reviews"
    export(url, out)
    runs = tmp_path / "runs"
    cmd = [
        sys.executable, "-m", "streetorder", "models", "train", "--data", str(out / "data.yaml"),
        "--epochs", "1", "--imgsz", "64", "--batch", "4", "--workers", "0",
        "--project", str(runs), "--name", "reviews",
    ]  # fmt: skip
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    weights = Path(result.stdout.strip().splitlines()[-1].removeprefix("weights: "))
    assert weights.is_file() and weights.stat().st_size > 100_000
    assert weights.is_relative_to(runs / "reviews")
