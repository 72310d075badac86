"""What makes an episode's alert ids its own: the episode key mixed into ``stable_alert_id``.

Node, camera, zone and start time alone do not tell episodes apart: three recordings replayed
with one start time once gave three alerts one id, and one set of evidence files. The key is

* for a video file, its content digest: the same footage on the same clock is the same
  episode (a restarted node, a second replay derive the same ids); other footage never is;
* for a live camera, a random nonce drawn when the episode starts and stored with it
  (``edge/episode_state.py``), so a restarted node continues the episode under its ids.
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

_CHUNK = 1 << 20


def random_episode_key() -> str:
    """A fresh nonce for an episode of a live camera (64 random bits)."""
    return secrets.token_hex(8)


class FootageKey:
    """The episode key of every episode found in one video file: its content digest, read
    once, on the first episode (a missing file has no episodes)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._key: str | None = None

    def __call__(self) -> str:
        if self._key is None:
            digest = hashlib.sha256()
            with open(self.path, "rb") as f:
                while chunk := f.read(_CHUNK):
                    digest.update(chunk)
            self._key = "file-" + digest.hexdigest()[:24]
        return self._key
