"""CameraPipeline: frames in, contract alerts (with hashed evidence) and episode ends out."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from streetorder.contracts import (
    Alert,
    CameraConfig,
    EpisodeEnd,
    ZoneConfig,
    ZoneRules,
    decode,
    encode,
)
from streetorder.edge.pipeline import CameraPipeline
from tests.edge.blocks import BlockDetector, scene

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
LEFT = ((0.0, 0.4), (0.45, 0.4), (0.45, 1.0), (0.0, 1.0))
GOODS = ("goods", (200, 400, 320, 520))
PERSON = ("person", (200, 380, 260, 520))


def pipeline(tmp_path: Path, episode_key: str = "footage-1", **rules) -> CameraPipeline:
    zone = ZoneConfig(
        id="z1",
        shop_id="shop-1",
        polygon=LEFT,
        rules=ZoneRules(dwell_seconds=20, clear_seconds=10, grace_seconds=5, **rules),
    )
    cam = CameraConfig(id="cam-01", source="x.mp4", zones=(zone,))
    return CameraPipeline(
        "node-1",
        cam,
        BlockDetector(),
        tmp_path / "ev",
        "Asia/Shanghai",
        clip_before=3,
        clip_after=2,
        episode_keys=lambda: episode_key,
    )


def run(p: CameraPipeline, timeline) -> list:
    out = []
    for second, objects in enumerate(timeline):
        out.extend(p.process(scene(objects), T0 + timedelta(seconds=second)))
    return out + p.flush()


def test_one_alert_with_evidence_then_episode_end(tmp_path: Path) -> None:
    timeline = [[]] * 10 + [[GOODS]] * 50 + [[]] * 20
    for i in (25, 26, 40):  # detector misses: must not split the episode
        timeline[i] = []
    messages = run(pipeline(tmp_path), timeline)
    assert [m.kind for m in messages] == ["alert", "episode_end"]
    alert, end = messages
    assert isinstance(alert, Alert) and isinstance(end, EpisodeEnd)
    # a new track is confirmed by its second detection: the episode starts one frame later
    assert alert.episode_started_at == T0 + timedelta(seconds=11)
    assert alert.threshold_crossed_at == T0 + timedelta(seconds=31)
    assert alert.objects[0].class_name == "goods" and alert.objects[0].track_id is not None
    assert alert.frame_size == (1280, 720)
    # last seen at 59 s, held present 3 s more (a missed detection is not a vanished object),
    # then clear for clear_seconds = 10
    assert end.alert_id == alert.alert_id and end.ended_at == T0 + timedelta(seconds=72)
    assert decode(encode(alert)) == alert
    # the episode end carries the after-frame: the frontage as the camera sees it clear
    (after,) = end.evidence
    assert after.kind == "after_frame" and after.filename == f"{alert.alert_id}_after.jpg"
    data = (tmp_path / "ev" / after.filename).read_bytes()
    assert hashlib.sha256(data).hexdigest() == after.sha256 and decode(encode(end)) == end
    kinds = sorted(e.kind for e in alert.evidence)
    assert kinds == ["annotated_frame", "clean_frame", "clip", "crop"]
    for ref in alert.evidence:
        data = (tmp_path / "ev" / ref.filename).read_bytes()
        assert hashlib.sha256(data).hexdigest() == ref.sha256 and len(data) == ref.size_bytes
    clip = next(e for e in alert.evidence if e.kind == "clip")
    import av

    with av.open(str(tmp_path / "ev" / clip.filename)) as c:
        assert 5 <= sum(1 for _ in c.decode(video=0)) <= 7  # 3 s before, 2 s after, at 1 fps


def test_alert_ids_are_stable_for_the_same_footage_and_distinct_for_other_footage(
    tmp_path: Path,
) -> None:
    timeline = [[GOODS]] * 30
    a = run(pipeline(tmp_path / "a"), timeline)
    b = run(pipeline(tmp_path / "b"), timeline)
    assert [m.alert_id for m in a] == [m.alert_id for m in b] and len(a) == 1
    # the same node, camera, zone and start time, other footage: another episode, another id
    other = run(pipeline(tmp_path / "c", episode_key="footage-2"), timeline)
    assert other[0].episode_started_at == a[0].episode_started_at
    assert other[0].alert_id != a[0].alert_id


def test_an_alert_raised_again_keeps_the_evidence_written_first(tmp_path: Path) -> None:
    # the same episode (key and start) seen again, as after a restart that lost the "sent" mark:
    # same id, and the files already written for it are neither overwritten nor replaced
    first = run(pipeline(tmp_path), [[GOODS]] * 30)
    moved = ("goods", (220, 420, 330, 530))  # other pixels, same zone, same times
    again = run(pipeline(tmp_path), [[moved]] * 30)
    assert again[0].alert_id == first[0].alert_id
    assert again[0].evidence == first[0].evidence
    for ref in again[0].evidence:
        data = (tmp_path / "ev" / ref.filename).read_bytes()
        assert hashlib.sha256(data).hexdigest() == ref.sha256


def test_people_do_not_count_unless_configured(tmp_path: Path) -> None:
    timeline = [[PERSON]] * 40
    assert run(pipeline(tmp_path), timeline) == []
    alerts = run(pipeline(tmp_path, classes=("person",)), timeline)
    assert [m.kind for m in alerts] == ["alert"]


def test_objects_outside_the_zone_are_ignored(tmp_path: Path) -> None:
    outside = ("goods", (900, 400, 1000, 520))
    assert run(pipeline(tmp_path), [[outside]] * 40) == []


def test_reminders_have_their_own_ids(tmp_path: Path) -> None:
    messages = run(pipeline(tmp_path, reminder_seconds=15), [[GOODS]] * 60)
    assert [m.reminder for m in messages] == [0, 1, 2]
    assert len({m.alert_id for m in messages}) == 3


def test_posix_seconds_are_accepted(tmp_path: Path) -> None:
    p = pipeline(tmp_path)
    out = []
    for second in range(30):
        out.extend(p.process(scene([GOODS]), T0.timestamp() + second))
    out.extend(p.flush())
    assert [m.kind for m in out] == ["alert"]
    assert out[0].threshold_crossed_at == T0 + timedelta(seconds=20)  # tracked from frame 1


def test_naive_time_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        pipeline(tmp_path).process(scene([]), datetime(2026, 1, 1))


def test_annotate_draws_on_a_copy(tmp_path: Path) -> None:
    p = pipeline(tmp_path)
    frame = scene([GOODS])
    p.process(frame, T0)
    out = p.annotate(frame)
    assert out.shape == frame.shape and (out != frame).any()
    assert (frame == scene([GOODS])).all()


def _timeline(seconds: int, spans: list[tuple[int, int, tuple]]) -> list[list]:
    frames: list[list] = [[] for _ in range(seconds)]
    for start, end, obj in spans:
        for t in range(start, end):
            frames[t] = [*frames[t], obj]
    return frames


def _moving(start: int, end: int, y: int = 420) -> list[tuple[int, int, tuple]]:
    """Goods carried across the frame from right to left, 60 px per second."""
    return [
        (t, t + 1, ("goods", (1200 - 60 * (t - start), y, 1260 - 60 * (t - start), y + 60)))
        for t in range(start, end)
    ]


@pytest.mark.parametrize(
    ("name", "spans", "alerts"),
    [
        ("goods_left", [(5, 80, GOODS)], 1),
        ("carried_across", _moving(5, 25), 0),
        ("person_standing", [(5, 90, PERSON)], 0),
        ("put_out_taken_in_put_out", [(5, 40, GOODS), (60, 100, GOODS)], 2),
        # a passer-by hides the goods for 4 s twice, once before and once after the threshold
        ("occluded", [(5, 15, GOODS), (19, 30, GOODS), (34, 80, GOODS)], 1),
        # the goods are moved a little (a new track id): still the same episode
        ("moved_within_zone", [(5, 20, GOODS), (20, 80, ("goods", (340, 400, 460, 520)))], 1),
    ],
)
def test_scenarios(tmp_path: Path, name: str, spans, alerts: int) -> None:
    messages = run(pipeline(tmp_path), _timeline(110, spans))
    assert sum(1 for m in messages if m.kind == "alert") == alerts, name


def test_the_pipeline_counts_detector_time_and_open_episodes(tmp_path: Path) -> None:
    p = pipeline(tmp_path)
    open_counts = []
    for second, objects in enumerate([[]] * 10 + [[GOODS]] * 50 + [[]] * 20):
        p.process(scene(objects), T0 + timedelta(seconds=second))
        open_counts.append(p.open_episodes)
    assert open_counts[30] == 0 and open_counts[45] == 1  # open once it alerted (33 s)
    assert open_counts[-1] == 0  # ended after the frontage was clear
    assert p.detect_seconds_total > 0
