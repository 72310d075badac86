"""Durable scene references: ``{storage}/reference/{camera}.npz``, one small file per camera.

Written by the camera pipelines every few minutes and at the end of a file (atomically: a
temporary file renamed over the old one), read once when a camera's pipeline starts, so a
restarted node still knows what each frontage looks like when clear. A file that cannot be
read is moved aside with one log line; the camera then learns its reference anew.
"""

from __future__ import annotations

import io
import logging
import os
import re
import time
import zipfile
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


class ReferenceFiles:
    """The folder of every camera's saved reference."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def camera(self, camera_id: str) -> CameraReference:
        return CameraReference(self.folder / f"{_UNSAFE.sub('_', camera_id)}.npz")


class CameraReference:
    """One camera's saved reference (the pipeline's ``ReferenceStore``)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, np.ndarray] | None:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                return {name: npz[name] for name in npz.files}
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
            aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
            os.replace(self.path, aside)
            log.error("scene reference %s is unreadable (%s): moved to %s", self.path, exc, aside)
            return None

    def save(self, arrays: dict[str, np.ndarray]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".part")
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, self.path)
