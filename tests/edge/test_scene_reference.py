"""The scene reference: a fixed object the detector mislabels never opens an episode; something
new that stays does, also when it was already there at start, after a restart, for hours and in
other light. Reviewers' ignore regions drop a fixed structure's detections."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2
import numpy as np

from streetorder.contracts import (
    Alert,
    CameraConfig,
    EpisodeEnd,
    IgnoreRegion,
    SceneReferenceSpec,
    ZoneConfig,
    ZoneRules,
)
from streetorder.edge.detections import Detections
from streetorder.edge.pipeline import CameraPipeline
from streetorder.edge.reference import SceneReference
from streetorder.edge.runtime.reference_store import ReferenceFiles
from streetorder.vocabulary import CLASS_IDS
from tests.edge.blocks import COLORS, BlockDetector

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SIZE = (640, 360)
ZONE = ((0.0, 0.35), (1.0, 0.35), (1.0, 1.0), (0.0, 1.0))
POST = (420, 140, 450, 300)  # a sign post standing in the frontage for good
GOODS = (120, 200, 200, 280)
GOODS_AT_POST = (400, 220, 480, 300)


def street(gain: float = 1.0, post: bool = True, goods: tuple | None = None) -> np.ndarray:
    """A textured pavement (the same every call), the post, and optionally a block of goods."""
    rng = np.random.default_rng(7)
    noise = rng.normal(0, 1, (SIZE[1] // 8, SIZE[0] // 8)).astype(np.float32)
    texture = cv2.resize(noise, SIZE, interpolation=cv2.INTER_CUBIC)
    grey = np.clip(110 + 18 * texture, 0, 255)
    frame = np.repeat(grey[:, :, None], 3, axis=2)
    for y in range(0, SIZE[1], 40):  # paving joints
        cv2.line(frame, (0, y), (SIZE[0], y + 30), (70, 70, 70), 1)
    if post:
        x1, y1, x2, y2 = POST
        frame[y1:y2, x1:x2] = (40, 40, 40)
        for y in range(y1 + 10, y2, 25):  # reflective bands
            frame[y : y + 8, x1:x2] = (200, 200, 200)
    if goods is not None:
        x1, y1, x2, y2 = goods
        cv2.rectangle(frame, (x1, y1), (x2, y2), COLORS["goods"], -1)
    return np.clip(frame * gain, 0, 255).astype(np.uint8)


class MislabellingDetector(BlockDetector):
    """Finds the goods blocks, and scores the fixed post as a rack whenever ``post_seen``."""

    def __init__(self) -> None:
        self.post_seen = True

    def __call__(self, frame: np.ndarray) -> Detections:
        found = super().__call__(frame)
        if not self.post_seen:
            return found
        return Detections(
            np.vstack([found.xyxy, np.array([POST], np.float32)]),
            np.append(found.confidence, 0.6),
            np.append(found.class_id, CLASS_IDS["rack"]),
        )


def camera(**extra) -> CameraConfig:
    zone = ZoneConfig(
        id="z1",
        shop_id="shop-1",
        polygon=ZONE,
        rules=ZoneRules(dwell_seconds=20, clear_seconds=10, grace_seconds=5),
    )
    return CameraConfig(id="cam-01", source="x.mp4", zones=(zone,), **extra)


def pipeline(tmp_path: Path, cam: CameraConfig, detector=None) -> CameraPipeline:
    return CameraPipeline(
        "node-1",
        cam,
        detector or MislabellingDetector(),
        tmp_path / "ev",
        "Asia/Shanghai",
        clip_before=0,
        clip_after=0,
        base_dir=tmp_path,
        episode_keys=lambda: "footage-1",
    )


def feed(p: CameraPipeline, frames, start: int = 0, step: float = 1.0) -> list:
    out = []
    for i, frame in enumerate(frames):
        out.extend(p.process(frame, T0 + timedelta(seconds=(start + i) * step)))
    return out


def alerts(messages) -> list[Alert]:
    return [m for m in messages if isinstance(m, Alert)]


def snapshot(tmp_path: Path, gain: float = 0.8) -> CameraConfig:
    """The installer's snapshot of the clear frontage (post included), taken in other light."""
    cv2.imwrite(str(tmp_path / "clear.jpg"), street(gain=gain))
    return camera(reference=SceneReferenceSpec(image="clear.jpg"))


def test_the_fixed_post_scored_rack_opens_no_episode_but_goods_do(tmp_path: Path) -> None:
    p = pipeline(tmp_path, snapshot(tmp_path))
    quiet = feed(p, [street()] * 120)
    assert alerts(quiet) == []
    assert p.zone_phase("z1") == "idle"
    later = feed(p, [street(goods=GOODS)] * 40, start=120)
    (alert,) = alerts(later)
    assert [o.class_name for o in alert.objects] == ["goods"]


def test_without_the_reference_the_post_alerts(tmp_path: Path) -> None:
    """The control: the detector's mistake on the post is real, the reference is what stops it."""
    zone = camera().zones[0]
    off = zone.model_copy(
        update={"rules": zone.rules.model_copy(update={"only_new_objects": False})}
    )
    p = pipeline(tmp_path, camera().model_copy(update={"zones": (off,)}))
    (alert,) = alerts(feed(p, [street()] * 40))
    assert [o.class_name for o in alert.objects] == ["rack"]


def test_goods_in_front_of_the_post_are_new(tmp_path: Path) -> None:
    p = pipeline(tmp_path, snapshot(tmp_path))
    assert alerts(feed(p, [street()] * 30)) == []
    assert len(alerts(feed(p, [street(goods=GOODS_AT_POST)] * 40, start=30))) == 1


def test_goods_already_out_at_start_are_caught(tmp_path: Path) -> None:
    p = pipeline(tmp_path, snapshot(tmp_path))
    (alert,) = alerts(feed(p, [street(goods=GOODS)] * 40))
    assert alert.episode_started_at == T0
    assert alert.threshold_crossed_at == T0 + timedelta(seconds=20)


def test_the_post_matches_in_darker_and_brighter_light(tmp_path: Path) -> None:
    p = pipeline(tmp_path, snapshot(tmp_path, gain=1.0))
    frames = [street(gain=g) for g in np.linspace(1.0, 0.45, 60)]
    frames += [street(gain=g) for g in np.linspace(0.45, 1.3, 60)]
    assert alerts(feed(p, frames)) == []


def test_a_learned_reference_absorbs_a_post_seen_before_it_was_mislabelled(
    tmp_path: Path,
) -> None:
    detector = MislabellingDetector()
    detector.post_seen = False
    p = pipeline(tmp_path, camera(), detector)
    feed(p, [street()] * 40)  # the scene is learned while the detector says nothing
    detector.post_seen = True
    assert alerts(feed(p, [street()] * 60, start=40)) == []
    assert len(alerts(feed(p, [street(goods=GOODS)] * 40, start=100))) == 1


def test_goods_left_for_hours_are_never_absorbed(tmp_path: Path) -> None:
    p = pipeline(tmp_path, snapshot(tmp_path))
    messages = feed(p, [street(goods=GOODS)] * 240, step=60.0)  # 4 hours, a frame a minute
    assert len(alerts(messages)) == 1
    assert not [m for m in messages if isinstance(m, EpisodeEnd)]
    assert p.zone_phase("z1") == "alerted"


def test_a_restarted_pipeline_keeps_its_learned_reference(tmp_path: Path) -> None:
    files = ReferenceFiles(tmp_path / "reference")
    detector = MislabellingDetector()
    detector.post_seen = False
    first = pipeline(tmp_path, camera(), detector)
    first.attach_reference_store(files.camera("cam-01"))
    feed(first, [street()] * 40)
    first.flush()  # saves the reference
    detector.post_seen = True
    second = pipeline(tmp_path, camera(), detector)
    second.attach_reference_store(files.camera("cam-01"))
    # goods were put out while the node was down: still new; the post still is not
    (alert,) = alerts(feed(second, [street(goods=GOODS)] * 40, start=300))
    assert [o.class_name for o in alert.objects] == ["goods"]


def test_a_corrupt_saved_reference_is_moved_aside(tmp_path: Path) -> None:
    files = ReferenceFiles(tmp_path / "reference")
    store = files.camera("cam-01")
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(b"not a zip file")
    assert store.load() is None
    assert not store.path.exists()
    assert list(store.path.parent.glob("cam-01.npz.corrupt-*"))


def test_a_saved_reference_of_another_frame_size_is_ignored() -> None:
    small = SceneReference((320, 180))
    small.observe(street())
    small.learn(0.0, np.zeros((0, 4), np.float32))
    big = SceneReference(SIZE)
    assert big.restore(small.arrays()) is False
    assert big.background is None


def test_a_reference_taken_at_a_chosen_moment(tmp_path: Path) -> None:
    """The operator asks for the reference at closing time; the post is mislabelled from the
    start, so only the chosen moment's frame tells the node that the post belongs there."""
    at = T0 + timedelta(seconds=5)
    p = pipeline(tmp_path, camera(reference=SceneReferenceSpec(at=at)))
    assert alerts(feed(p, [street()] * 80)) == []
    assert p.scene.applied == f"at:{at.isoformat()}"


def test_an_unreadable_reference_image_falls_back_to_learning(tmp_path: Path, caplog) -> None:
    (tmp_path / "clear.jpg").write_bytes(b"\xff\xd8 truncated")
    p = pipeline(tmp_path, camera(reference=SceneReferenceSpec(image="clear.jpg")))
    messages = feed(p, [street(goods=GOODS)] * 30)
    assert len(alerts(messages)) == 1  # still analysing, goods still caught
    assert "reference.image" in caplog.text and "clear.jpg" in caplog.text


def test_an_ignore_region_drops_the_fixed_structure_only(tmp_path: Path) -> None:
    zone = camera().zones[0]
    off = zone.model_copy(
        update={"rules": zone.rules.model_copy(update={"only_new_objects": False})}
    )
    w, h = SIZE
    region = IgnoreRegion(
        id="mask-1",
        box=(POST[0] / w - 0.01, POST[1] / h - 0.01, POST[2] / w + 0.01, POST[3] / h + 0.01),
        alert_id="al-123",
    )
    cam = camera(ignore=(region,)).model_copy(update={"zones": (off,)})
    p = pipeline(tmp_path, cam)
    assert alerts(feed(p, [street()] * 40)) == []
    (alert,) = alerts(feed(p, [street(goods=GOODS_AT_POST)] * 40, start=40))
    assert [o.class_name for o in alert.objects] == ["goods"]


def unknown_camera(**extra) -> CameraConfig:
    zone = camera().zones[0]
    rules = zone.rules.model_copy(update={"unknown_objects": True})
    return camera(**extra).model_copy(update={"zones": (zone.model_copy(update={"rules": rules}),)})


def street_with_crate(gain: float = 1.0) -> np.ndarray:
    """A wooden crate no detector class fits (the detector says nothing about it)."""
    frame = street(gain=gain)
    x1, y1, x2, y2 = GOODS
    frame[y1:y2, x1:x2] = (int(40 * gain), int(90 * gain), int(150 * gain))
    for x in range(x1 + 8, x2, 16):
        frame[y1:y2, x : x + 3] = (20, 50, 90)
    return frame


def test_an_unknown_object_that_stays_alerts_when_the_zone_asks(tmp_path: Path) -> None:
    p = pipeline(tmp_path, snapshot(tmp_path).model_copy(update={"zones": unknown_camera().zones}))
    assert alerts(feed(p, [street()] * 20)) == []
    (alert,) = alerts(feed(p, [street_with_crate()] * 50, start=20))
    (obj,) = alert.objects
    assert obj.class_name == "unknown_object" and obj.track_id is None
    x1, y1, x2, y2 = obj.box_xyxy
    assert x1 <= GOODS[0] + 10 and x2 >= GOODS[2] - 10 and y1 <= GOODS[1] + 10
    # the default zone ignores what no class fits
    plain = pipeline(tmp_path, snapshot(tmp_path))
    assert alerts(feed(plain, [street()] * 20 + [street_with_crate()] * 50)) == []


def test_a_passer_by_is_no_unknown_object(tmp_path: Path) -> None:
    p = pipeline(tmp_path, snapshot(tmp_path).model_copy(update={"zones": unknown_camera().zones}))
    frames = []
    for i in range(60):  # a dark figure crossing the zone, never standing still
        frame = street()
        x = 20 + i * 10
        frame[180:300, x : x + 30] = (30, 20, 60)
        frames.append(frame)
    assert alerts(feed(p, frames)) == []
