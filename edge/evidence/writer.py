"""Write an alert's evidence files and describe each with its sha256 (``EvidenceRef``)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from streetorder.contracts import EvidenceRef
from streetorder.edge.evidence.video import Mp4Writer

Frame = npt.NDArray[np.uint8]


def crop_box(
    xyxy: npt.NDArray[np.float32], frame_size: tuple[int, int], margin: float = 0.15
) -> tuple[int, int, int, int]:
    """The union of ``xyxy`` boxes grown by ``margin`` of its size, inside the frame."""
    w, h = frame_size
    x1, y1 = xyxy[:, 0].min(), xyxy[:, 1].min()
    x2, y2 = xyxy[:, 2].max(), xyxy[:, 3].max()
    mx, my = (x2 - x1) * margin + 8, (y2 - y1) * margin + 8
    return (
        int(max(0, x1 - mx)),
        int(max(0, y1 - my)),
        int(min(w, max(x2 + mx, x1 + 2))),
        int(min(h, max(y2 + my, y1 + 2))),
    )


def write_evidence(
    directory: Path,
    alert_id: str,
    clean: Frame,
    annotated: Frame,
    crop: tuple[int, int, int, int],
    clip: Sequence[tuple[float, Frame]],
    clip_fps: float,
) -> tuple[EvidenceRef, ...]:
    """Write clean/annotated frames, a crop and a clip; return their refs (kind, name, sha256)."""
    directory.mkdir(parents=True, exist_ok=True)
    refs = [
        _jpeg(directory, f"{alert_id}_clean.jpg", clean, "clean_frame"),
        _jpeg(directory, f"{alert_id}_annotated.jpg", annotated, "annotated_frame"),
    ]
    x1, y1, x2, y2 = crop
    if x2 > x1 and y2 > y1:
        refs.append(_jpeg(directory, f"{alert_id}_crop.jpg", clean[y1:y2, x1:x2], "crop"))
    if clip:
        path = directory / f"{alert_id}_clip.mp4"
        tmp = path.with_suffix(".mp4.part")
        t0 = clip[0][0]
        with Mp4Writer(tmp, fps=clip_fps, crf=26) as writer:
            for t, frame in clip:
                writer.write(frame, t - t0)
        os.replace(tmp, path)
        refs.append(_ref(path, "clip", "video/mp4"))
    return tuple(refs)


def _jpeg(directory: Path, name: str, frame: Frame, kind: str) -> EvidenceRef:
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:
        raise ValueError(f"cannot encode {name}")
    path = directory / name
    tmp = path.with_suffix(".jpg.part")
    tmp.write_bytes(buf.tobytes())
    os.replace(tmp, path)
    return _ref(path, kind, "image/jpeg")


def _ref(path: Path, kind: str, content_type: str) -> EvidenceRef:
    data = path.read_bytes()
    return EvidenceRef(
        kind=kind,  # type: ignore[arg-type]
        filename=path.name,
        content_type=content_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
