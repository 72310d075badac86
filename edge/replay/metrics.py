"""Event-level evaluation of alerts against ground-truth episodes (pure functions).

An alert (first alert of an episode; reminders are not counted) matches an unmatched truth
episode of the same camera and zone when its threshold time lies within the episode, extended
by ``tolerance`` seconds on both sides. Unmatched alerts are false positives, unmatched
episodes false negatives. Delay = alert threshold time − truth threshold time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

from streetorder.edge.replay.truth import TruthEpisode

DEFAULT_TOLERANCE = 5.0


@dataclass(frozen=True)
class AlertPoint:
    camera_id: str
    zone_id: str
    t: float  # threshold time, seconds from the video start
    alert_id: str = ""


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    delays: list[float] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: Score) -> Score:
        return Score(
            self.tp + other.tp, self.fp + other.fp, self.fn + other.fn, self.delays + other.delays
        )

    def as_dict(self) -> dict[str, object]:
        d = asdict(self)
        delays = sorted(self.delays)
        d.update(
            precision=round(self.precision, 4),
            recall=round(self.recall, 4),
            f1=round(self.f1, 4),
            delay_mean_seconds=round(sum(delays) / len(delays), 3) if delays else None,
            delay_max_seconds=round(max(delays), 3) if delays else None,
            delays=[round(x, 3) for x in self.delays],
        )
        return d


def match(
    alerts: Sequence[AlertPoint],
    episodes: Sequence[TruthEpisode],
    tolerance: float = DEFAULT_TOLERANCE,
) -> Score:
    """Greedy in time order: each alert takes the open episode whose threshold is nearest."""
    score = Score()
    used: set[int] = set()
    for alert in sorted(alerts, key=lambda a: a.t):
        best, best_gap = None, float("inf")
        for i, ep in enumerate(episodes):
            if i in used or (ep.camera_id, ep.zone_id) != (alert.camera_id, alert.zone_id):
                continue
            if ep.start_seconds - tolerance <= alert.t <= ep.end_seconds + tolerance:
                gap = abs(alert.t - ep.threshold_seconds)
                if gap < best_gap:
                    best, best_gap = i, gap
        if best is None:
            score.fp += 1
        else:
            used.add(best)
            score.tp += 1
            score.delays.append(alert.t - episodes[best].threshold_seconds)
    score.fn = len(episodes) - len(used)
    return score


def summarise(per_scenario: dict[str, Score], violations: dict[str, int]) -> dict[str, object]:
    """metrics.json content: per scenario, overall, and alerts on no-violation scenarios."""
    total = Score()
    for s in per_scenario.values():
        total = total.add(s)
    quiet = [name for name, n in violations.items() if n == 0]
    return {
        "scenarios": {name: s.as_dict() for name, s in per_scenario.items()},
        "overall": total.as_dict(),
        "no_violation_scenarios": quiet,
        "alerts_on_no_violation_scenarios": sum(per_scenario[n].fp for n in quiet),
    }


def overall(scores: Iterable[Score]) -> Score:
    total = Score()
    for s in scores:
        total = total.add(s)
    return total
