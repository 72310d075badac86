"""Anonymous posts per client IP: a sliding window, in memory (so per platform replica)."""

from __future__ import annotations

import math
import threading
from collections import deque


class SlidingWindow:
    """At most ``limit`` hits per ``window`` seconds and key; refused hits count too, so a
    flood stays refused until it pauses."""

    def __init__(self, limit: int, window: float, max_keys: int = 100_000) -> None:
        self.limit, self.window, self.max_keys = limit, window, max_keys
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, now: float) -> int | None:
        """Record a hit; ``None`` if allowed, else the seconds until one is allowed again."""
        with self._lock:
            if len(self._hits) >= self.max_keys:
                self._prune(now)
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            allowed = len(hits) < self.limit
            if len(hits) < self.limit * 2:  # bounded memory under a flood
                hits.append(now)
            if allowed:
                return None
            return max(1, math.ceil(hits[0] + self.window - now))

    def _prune(self, now: float) -> None:
        for key in [
            k for k, hits in self._hits.items() if not hits or hits[-1] <= now - self.window
        ]:
            del self._hits[key]
