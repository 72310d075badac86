"""Frame sources: ``open_source(camera) -> FrameSource`` with ``frames()`` and ``close()``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from streetorder.contracts import CameraConfig
from streetorder.edge.sources.av_source import AvSource, source_kind


class FrameSource(Protocol):
    def frames(self) -> Iterator[tuple[float, npt.NDArray[np.uint8]]]: ...

    def close(self) -> None: ...


def open_source(
    camera: CameraConfig, base_dir: Path | None = None, read_timeout: float = 20.0
) -> AvSource:
    """A source for ``camera`` sampled at its ``analysis_interval_seconds``.

    Relative file paths are taken relative to ``base_dir`` (the config file's folder) if given.
    The source is opened lazily on the first ``frames()`` call; errors are StreetorderErrors
    naming the camera and the source. A read blocked ``read_timeout`` seconds is an error.
    """
    src = camera.source
    if source_kind(src) == "file":
        src = src.removeprefix("file://")
        if base_dir is not None and not Path(src).is_absolute():
            src = str(base_dir / src)
    return AvSource(
        src,
        interval=camera.analysis_interval_seconds,
        keyframes_only=camera.keyframes_only,
        name=camera.id,
        read_timeout=read_timeout,
    )


__all__ = ["AvSource", "FrameSource", "open_source", "source_kind"]
