"""ByteTrack-style tracker: identities persist through score dips, misses and crossings."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from streetorder.edge.detections import Detections
from streetorder.edge.track import ByteTracker, TrackerSettings


def frame(boxes, scores, classes=None) -> Detections:
    n = len(boxes)
    return Detections(np.array(boxes, np.float32).reshape(-1, 4), scores, classes or [0] * n)


def test_ids_persist_for_moving_and_static_objects() -> None:
    tracker = ByteTracker()
    ids = []
    for i in range(20):
        static = (100, 100, 150, 180)
        moving = (300 + 5 * i, 200, 360 + 5 * i, 260)
        out = tracker.update(frame([static, moving], [0.9, 0.8]))
        assert len(out) == 2
        ids.append(tuple(out.tracker_id.tolist()))
    assert len(set(ids)) == 1 and len(set(ids[0])) == 2


def test_low_score_detection_keeps_track_alive() -> None:
    tracker = ByteTracker()
    tracker.update(frame([(10, 10, 60, 60)], [0.9]))
    first = tracker.update(frame([(10, 10, 60, 60)], [0.9])).tracker_id.tolist()
    dip = tracker.update(frame([(11, 10, 61, 60)], [0.2]))  # stage 2 keeps it
    assert dip.tracker_id.tolist() == first
    # median of recent scores smooths the dip
    assert dip.confidence[0] > 0.5


def test_lost_track_is_recovered_within_buffer_and_dropped_after() -> None:
    tracker = ByteTracker(TrackerSettings(max_lost_frames=5))
    box = (10, 10, 60, 60)
    tid = tracker.update(frame([box], [0.9])).tracker_id.tolist()
    for _ in range(4):
        assert len(tracker.update(Detections.empty())) == 0
    assert tracker.update(frame([box], [0.9])).tracker_id.tolist() == tid
    for _ in range(7):
        tracker.update(Detections.empty())
    assert len(tracker) == 0
    tracker.update(frame([box], [0.9]))  # new track: needs a second hit to be confirmed
    again = tracker.update(frame([box], [0.9]))
    assert again.tracker_id.tolist() != tid and len(again) == 1


def test_low_score_alone_never_starts_a_track() -> None:
    tracker = ByteTracker()
    for _ in range(5):
        assert len(tracker.update(frame([(10, 10, 60, 60)], [0.3]))) == 0


def test_class_flicker_keeps_identity() -> None:
    tracker = ByteTracker()
    a = tracker.update(frame([(10, 10, 60, 60)], [0.9], [0])).tracker_id.tolist()
    b = tracker.update(frame([(10, 10, 60, 60)], [0.9], [2]))
    assert b.tracker_id.tolist() == a and b.class_id.tolist() == [2]


def test_crossing_objects_keep_their_ids() -> None:
    tracker = ByteTracker()
    history: dict[int, list[float]] = {}
    for i in range(30):
        left = (10 + 10 * i, 100, 50 + 10 * i, 140)
        right = (310 - 10 * i, 100, 350 - 10 * i, 140)
        out = tracker.update(frame([left, right], [0.9, 0.9]))
        for tid, box in zip(out.tracker_id.tolist(), out.xyxy, strict=True):
            history.setdefault(tid, []).append(float(box[0]))
    # two identities, each moving monotonically in one direction
    long = [xs for xs in history.values() if len(xs) > 10]
    assert len(long) == 2
    for xs in long:
        steps = np.sign(np.diff(xs))
        assert abs(steps.sum()) >= len(steps) - 4


def test_one_frame_misclassification_is_voted_down() -> None:
    tracker = ByteTracker()
    for _ in range(5):
        tracker.update(frame([(10, 10, 60, 160)], [0.8], [5]))  # a person
    out = tracker.update(frame([(10, 10, 60, 160)], [0.5], [0]))  # misread once as goods
    assert out.class_id.tolist() == [5]


def test_greedy_match_takes_best_pairs_once() -> None:
    from streetorder.edge.track.bytetrack import greedy_match

    iou = np.array([[0.9, 0.8, 0.0], [0.85, 0.1, 0.0], [0.0, 0.0, 0.2]], np.float32)
    rows, cols = greedy_match(iou, 0.3)
    assert sorted(zip(rows.tolist(), cols.tolist(), strict=True)) == [(0, 0)]
    rows, cols = greedy_match(iou, 0.05)
    assert sorted(zip(rows.tolist(), cols.tolist(), strict=True)) == [(0, 0), (1, 1), (2, 2)]
    assert greedy_match(np.zeros((0, 3), np.float32), 0.1)[0].size == 0


@settings(max_examples=60, deadline=None)
@given(
    frames=st.lists(
        st.lists(
            st.tuples(
                st.integers(0, 600),
                st.integers(0, 400),
                st.integers(5, 120),
                st.integers(5, 120),
                st.floats(0.05, 1.0),
                st.integers(0, 6),
            ),
            max_size=12,
        ),
        min_size=1,
        max_size=15,
    )
)
def test_tracker_output_invariants(frames) -> None:
    """Whatever comes in: ids are unique per frame, every output box is an input box of the
    frame, and confirmed ids are never reused for another object later."""
    tracker = ByteTracker()
    retired: set[int] = set()
    seen: set[int] = set()
    for objs in frames:
        boxes = [(x, y, x + w, y + h) for x, y, w, h, _, _ in objs]
        dets = frame(boxes, [s for *_, s, _ in objs], [c for *_, c in objs])
        out = tracker.update(dets)
        ids = out.tracker_id.tolist()
        assert len(ids) == len(set(ids))
        assert not set(ids) & retired
        for box in out.xyxy.tolist():
            assert box in dets.xyxy.tolist()
        live = set(tracker.ids.tolist())
        retired |= seen - live
        seen |= set(ids)


def test_recently_lost_tracks_are_reported_at_their_last_box() -> None:
    tracker = ByteTracker()
    box = (10, 10, 60, 60)
    tid = tracker.update(frame([box], [0.9])).tracker_id.tolist()
    assert len(tracker.recently_lost(3)) == 0
    for _ in range(3):
        assert len(tracker.update(Detections.empty())) == 0
        held = tracker.recently_lost(3)
        assert held.tracker_id.tolist() == tid and held.xyxy.tolist() == [list(map(float, box))]
    tracker.update(Detections.empty())
    assert len(tracker.recently_lost(3)) == 0  # missed 4 times: no longer held
