"""ByteTrack-style multi-object tracking: two-stage IoU association, Kalman motion, lost buffer.

Stage 1 matches high-score detections to all live tracks (tracked and recently lost); stage 2
gives the remaining tracked tracks a chance with low-score detections, so an object whose score
dips (shade, partial occlusion) keeps its identity instead of being dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from streetorder.edge.detections import Detections, box_iou
from streetorder.edge.track import kalman


@dataclass(frozen=True)
class TrackerSettings:
    high_score: float = 0.5  # stage-1 detections
    low_score: float = 0.1  # stage-2 detections (between low and high)
    new_track_score: float = 0.6  # an unmatched detection above this starts a track
    match_iou: float = 0.2  # minimum IoU, stage 1
    low_match_iou: float = 0.5  # minimum IoU, stage 2
    unconfirmed_match_iou: float = 0.3
    max_lost_frames: int = 30  # a lost track is kept this many updates
    max_unconfirmed_lost: int = 2  # a new track may miss this many updates before its 2nd hit
    score_history: int = 9  # reported score: median of this many recent scores
    class_decay: float = 0.8  # per update, for the class vote of a track
    other_class_weight: float = 0.3  # IoU factor when a detection's class is not the track's


class ByteTracker:
    """``update(detections)`` → the detections of confirmed, currently tracked objects with ids.

    Reported ``confidence`` is the median of the track's recent scores (Frigate's idea) and
    ``class_id`` the track's score-weighted, decaying class vote: both smooth detector flicker
    before zone filters (a person misread as goods for one frame stays a person).
    """

    def __init__(self, settings: TrackerSettings | None = None) -> None:
        self.s = settings or TrackerSettings()
        self._next_id = 1
        self.frame = 0
        self.ids = np.zeros(0, np.int64)
        self.mean = np.zeros((0, 8))
        self.cov = np.zeros((0, 8, 8))
        self.confirmed = np.zeros(0, bool)
        self.lost_for = np.zeros(0, np.int64)  # 0: tracked now
        self.class_id = np.zeros(0, np.int64)
        self.scores = np.zeros((0, self.s.score_history), np.float32)  # NaN-padded ring
        self.votes = np.zeros((0, 1), np.float32)  # (tracks, classes) decaying score sums
        self.last_box = np.zeros((0, 4), np.float32)  # last matched detection box

    def __len__(self) -> int:
        return len(self.ids)

    def update(self, detections: Detections) -> Detections:
        s = self.s
        self.frame += 1
        if len(self.ids):
            self.mean, self.cov = kalman.predict(self.mean, self.cov)
        conf = detections.confidence
        high = np.flatnonzero(conf >= s.high_score)
        low = np.flatnonzero((conf >= s.low_score) & (conf < s.high_score))
        matched_det = np.full(len(self.ids), -1, np.int64)  # per track: detection index

        # stage 1: confirmed tracks (tracked or lost) vs high-score detections
        stage1 = np.flatnonzero(self.confirmed)
        pairs = self._associate(stage1, high, detections, s.match_iou)
        matched_det[pairs[:, 0]] = pairs[:, 1]
        left_high = np.setdiff1d(high, pairs[:, 1])
        # stage 2: still-unmatched tracks that were tracked last frame vs low-score detections
        stage2 = stage1[(matched_det[stage1] < 0) & (self.lost_for[stage1] == 0)]
        pairs = self._associate(stage2, low, detections, s.low_match_iou)
        matched_det[pairs[:, 0]] = pairs[:, 1]
        # unconfirmed tracks (seen once) vs the high-score detections left
        fresh = np.flatnonzero(~self.confirmed)
        pairs = self._associate(fresh, left_high, detections, s.unconfirmed_match_iou)
        matched_det[pairs[:, 0]] = pairs[:, 1]
        left_high = np.setdiff1d(left_high, pairs[:, 1])

        hit = matched_det >= 0
        if hit.any():
            d = matched_det[hit]
            xywh = kalman.xyxy_to_xywh(detections.xyxy[d])
            self.mean[hit], self.cov[hit] = kalman.update(self.mean[hit], self.cov[hit], xywh)
            cls = detections.class_id[d]
            self._grow_votes(int(cls.max()) + 1)
            self.votes[hit] *= s.class_decay
            self.votes[np.flatnonzero(hit), cls] += detections.confidence[d]
            self.class_id[hit] = self.votes[hit].argmax(axis=1)
            self.scores[hit] = np.concatenate(
                [self.scores[hit][:, 1:], detections.confidence[d][:, None]], axis=1
            )
            self.confirmed[hit] = True
            self.last_box[hit] = detections.xyxy[d]
        self.lost_for[hit] = 0
        self.lost_for[~hit] += 1
        # drop lost tracks past the buffer; new tracks get a shorter one to be confirmed in
        # (at one frame a second, a detector miss must not delay an object's start by seconds)
        limit = np.where(self.confirmed, s.max_lost_frames, s.max_unconfirmed_lost)
        keep = self.lost_for <= limit
        matched_det = matched_det[keep]
        self._select(keep)

        new = left_high[conf[left_high] >= s.new_track_score]
        first_frame = self.frame == 1
        self._start(detections, new, confirmed=first_frame)

        # output: confirmed tracks matched this frame, in detection order
        unmatched_new = new if first_frame else np.full(len(new), -1, np.int64)
        det_for_track = np.concatenate([matched_det, unmatched_new])
        out_tracks = np.flatnonzero((det_for_track >= 0) & self.confirmed)
        det_index = det_for_track[out_tracks]
        order = np.argsort(det_index, kind="stable")
        out_tracks, det_index = out_tracks[order], det_index[order]
        med = np.nanmedian(self.scores[out_tracks], axis=1) if len(out_tracks) else np.zeros(0)
        return Detections(
            detections.xyxy[det_index],
            med.astype(np.float32),
            self.class_id[out_tracks],
            self.ids[out_tracks],
        )

    def recently_lost(self, max_lost: int) -> Detections:
        """Confirmed tracks missed in the last 1..``max_lost`` updates, at their last box.

        A zone uses them as still present: one or two missed detections (flicker, a passer-by
        in front) do not make an object vanish.
        """
        sel = np.flatnonzero(self.confirmed & (self.lost_for > 0) & (self.lost_for <= max_lost))
        med = np.nanmedian(self.scores[sel], axis=1) if len(sel) else np.zeros(0)
        return Detections(
            self.last_box[sel], med.astype(np.float32), self.class_id[sel], self.ids[sel]
        )

    def _associate(
        self,
        tracks: npt.NDArray[np.int64],
        dets: npt.NDArray[np.int64],
        detections: Detections,
        min_iou: float,
    ) -> npt.NDArray[np.int64]:
        """(m, 2) pairs (track index, detection index) matched on IoU.

        A detection of another class than the track's counts with a reduced IoU: the same object
        read as goods, then table, still matches (large overlap), but goods carried by a person
        do not take over the person's track (small overlap) when the person is missed.
        """
        if not len(tracks) or not len(dets):
            return np.zeros((0, 2), np.int64)
        predicted = kalman.xywh_to_xyxy(self.mean[tracks, :4]).astype(np.float32)
        iou = box_iou(predicted, detections.xyxy[dets])
        other = self.class_id[tracks][:, None] != detections.class_id[dets][None, :]
        iou = np.where(other, iou * self.s.other_class_weight, iou)
        rows, cols = greedy_match(iou, min_iou)
        return np.stack([tracks[rows], dets[cols]], axis=1).astype(np.int64)

    def _select(self, keep: npt.NDArray[np.bool_]) -> None:
        self.ids, self.mean, self.cov = self.ids[keep], self.mean[keep], self.cov[keep]
        self.confirmed, self.lost_for = self.confirmed[keep], self.lost_for[keep]
        self.class_id, self.scores = self.class_id[keep], self.scores[keep]
        self.votes = self.votes[keep]
        self.last_box = self.last_box[keep]

    def _grow_votes(self, classes: int) -> None:
        if classes > self.votes.shape[1]:
            extra = np.zeros((len(self.votes), classes - self.votes.shape[1]), np.float32)
            self.votes = np.concatenate([self.votes, extra], axis=1)

    def _start(self, detections: Detections, idx: npt.NDArray[np.int64], confirmed: bool) -> None:
        n = len(idx)
        if not n:
            return
        mean, cov = kalman.initiate(kalman.xyxy_to_xywh(detections.xyxy[idx]))
        ids = np.arange(self._next_id, self._next_id + n, dtype=np.int64)
        self._next_id += n
        scores = np.full((n, self.s.score_history), np.nan, np.float32)
        scores[:, -1] = detections.confidence[idx]
        self.ids = np.concatenate([self.ids, ids])
        self.mean = np.concatenate([self.mean, mean])
        self.cov = np.concatenate([self.cov, cov])
        self.confirmed = np.concatenate([self.confirmed, np.full(n, confirmed)])
        self.lost_for = np.concatenate([self.lost_for, np.zeros(n, np.int64)])
        self.class_id = np.concatenate([self.class_id, detections.class_id[idx]])
        self.scores = np.concatenate([self.scores, scores])
        cls = detections.class_id[idx]
        self._grow_votes(int(cls.max()) + 1)
        votes = np.zeros((n, self.votes.shape[1]), np.float32)
        votes[np.arange(n), cls] = detections.confidence[idx]
        self.votes = np.concatenate([self.votes, votes])
        self.last_box = np.concatenate([self.last_box, detections.xyxy[idx]])


def greedy_match(
    iou: npt.NDArray[np.float32], min_iou: float
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Pairs (row, col) taken in order of decreasing IoU, each row and column at most once.

    For IoU-based tracking of sparse objects this gives the Hungarian result in practice, without
    loading scipy (≈55 MB of memory on the edge box).
    """
    r, c = np.nonzero(iou >= min_iou)
    if not r.size:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.argsort(-iou[r, c], kind="stable")
    used_r = np.zeros(iou.shape[0], bool)
    used_c = np.zeros(iou.shape[1], bool)
    rows, cols = [], []
    for k in order:
        i, j = r[k], c[k]
        if not used_r[i] and not used_c[j]:
            used_r[i] = used_c[j] = True
            rows.append(i)
            cols.append(j)
    return np.asarray(rows, np.int64), np.asarray(cols, np.int64)
