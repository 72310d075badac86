"""Seeded, deterministic street-scene generator: labelled images and scenario videos.

Everything is drawn with numpy/OpenCV from 3D primitives seen through a pinhole camera, so the
same code renders training images (``dataset``) and scenario videos (``scenarios``).
"""

from __future__ import annotations

#: Bumped whenever the rendered pixels or labels for a given seed change.
GENERATOR_VERSION = "1.3.1"
