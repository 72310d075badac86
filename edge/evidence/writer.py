"""Write an alert's evidence files and describe each with its sha256 (``EvidenceRef``).

Evidence files are write-once: a file is written under a temporary name and hard-linked to
its final name, which fails if the name exists. The same bytes again are a no-op (a retry);
other bytes are refused (:class:`EvidenceExistsError`) and the first file stays as it was.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from streetorder.contracts import EvidenceRef
from streetorder.contracts.messages import AFTER_FRAME_SUFFIX
from streetorder.edge.evidence.video import Mp4Writer
from streetorder.errors import StreetorderError

Frame = npt.NDArray[np.uint8]
#: Boxes (N x 4: x1, y1, x2, y2) of the people in a frame; None: the detector cannot see people.
Persons = npt.NDArray[np.float32] | None
#: Beside the images: their people boxes (not evidence, never uploaded).
PERSONS_SUFFIX = "_persons.json"
#: What ``write_evidence`` writes per alert, in this order: name suffix, kind, content type.
EVIDENCE_FILES = (
    ("_clean.jpg", "clean_frame", "image/jpeg"),
    ("_annotated.jpg", "annotated_frame", "image/jpeg"),
    ("_crop.jpg", "crop", "image/jpeg"),
    ("_clip.mp4", "clip", "video/mp4"),
)


class EvidenceExistsError(StreetorderError):
    """An evidence file of that name exists with other content; it is never overwritten."""


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
    persons: Persons = None,
) -> tuple[EvidenceRef, ...]:
    """Write clean/annotated frames, a crop and a clip; return their refs (kind, name, sha256;
    the images' refs list the ``persons`` in their own pixels, for the platform's blurring).

    Raises:
        EvidenceExistsError: a file of this alert exists with other content (nothing is
            overwritten; files already written by this call stay).
    """
    directory.mkdir(parents=True, exist_ok=True)
    _remember_persons(directory, alert_id, persons, crop)
    refs = [
        _jpeg(directory, f"{alert_id}_clean.jpg", clean, "clean_frame", persons),
        _jpeg(directory, f"{alert_id}_annotated.jpg", annotated, "annotated_frame", persons),
    ]
    x1, y1, x2, y2 = crop
    if x2 > x1 and y2 > y1:
        inside = _shifted(persons, crop)
        refs.append(_jpeg(directory, f"{alert_id}_crop.jpg", clean[y1:y2, x1:x2], "crop", inside))
    if clip:
        path = directory / f"{alert_id}_clip.mp4"
        t0 = clip[0][0]
        with _temporary(path) as tmp:
            with Mp4Writer(tmp, fps=clip_fps, crf=26) as writer:
                for t, frame in clip:
                    writer.write(frame, t - t0)
            _publish(tmp, path)
        refs.append(_ref(path, "clip", "video/mp4"))
    return tuple(refs)


def write_after_frame(
    directory: Path, alert_id: str, frame: Frame, persons: Persons = None
) -> EvidenceRef:
    """The frontage as the camera sees it when the episode ends (``<alert_id>_after.jpg``)."""
    directory.mkdir(parents=True, exist_ok=True)
    return _jpeg(directory, f"{alert_id}{AFTER_FRAME_SUFFIX}", frame, "after_frame", persons)


def existing_evidence(directory: Path, alert_id: str) -> tuple[EvidenceRef, ...]:
    """Refs of the evidence files already written for ``alert_id`` (complete files only: each
    appears under its name at once)."""
    refs = []
    persons = _recalled_persons(directory, alert_id)
    for suffix, kind, content_type in EVIDENCE_FILES:
        path = directory / f"{alert_id}{suffix}"
        if path.is_file():
            refs.append(_ref(path, kind, content_type, persons.get(suffix)))
    return tuple(refs)


def _remember_persons(
    directory: Path, alert_id: str, persons: Persons, crop: tuple[int, int, int, int]
) -> None:
    """The people boxes of each image, kept beside them (write-once), so an alert raised again
    after a restart describes its first evidence exactly."""
    full, inside = _boxes(persons), _boxes(_shifted(persons, crop))
    record = {"_clean.jpg": full, "_annotated.jpg": full, "_crop.jpg": inside}
    write_once(directory / f"{alert_id}{PERSONS_SUFFIX}", json.dumps(record).encode())


def _recalled_persons(directory: Path, alert_id: str) -> dict[str, Any]:
    try:
        record = json.loads((directory / f"{alert_id}{PERSONS_SUFFIX}").read_bytes())
    except (OSError, ValueError):
        return {}
    return {k: tuple(tuple(b) for b in v) if v is not None else None for k, v in record.items()}


def write_once(path: Path, data: bytes) -> None:
    """Create ``path`` with ``data``; a no-op if it holds exactly ``data``.

    Raises:
        EvidenceExistsError: ``path`` exists with other content (it is left untouched).
    """
    with _temporary(path) as tmp:
        tmp.write_bytes(data)
        _publish(tmp, path)


@contextmanager
def _temporary(path: Path) -> Iterator[Path]:
    """A fresh temporary file next to ``path`` (same file system), removed afterwards."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


def _publish(tmp: Path, path: Path) -> None:
    """Give the finished ``tmp`` its final name, never replacing an existing file."""
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    try:
        os.link(tmp, path)
    except FileExistsError:
        if _digest(path) != _digest(tmp):
            raise EvidenceExistsError(
                f"{path}: evidence file exists with other content (sha256 {_digest(path)[:16]}); "
                "evidence files are write-once, it is not overwritten"
            ) from None


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _jpeg(directory: Path, name: str, frame: Frame, kind: str, persons: Persons) -> EvidenceRef:
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:
        raise ValueError(f"cannot encode {name}")
    path = directory / name
    write_once(path, buf.tobytes())
    return _ref(path, kind, "image/jpeg", _boxes(persons))


def _shifted(persons: Persons, crop: tuple[int, int, int, int]) -> Persons:
    """People boxes in the crop's pixels: clipped to it, those outside dropped."""
    if persons is None or not len(persons):
        return persons
    x1, y1, x2, y2 = crop
    boxes = np.clip(persons, [x1, y1, x1, y1], [x2, y2, x2, y2]) - [x1, y1, x1, y1]
    keep = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    return boxes[keep].astype(np.float32)


def _boxes(persons: Persons) -> tuple[tuple[float, float, float, float], ...] | None:
    if persons is None:
        return None
    return tuple(tuple(round(float(v), 1) for v in box) for box in persons)  # type: ignore[misc]


def _ref(
    path: Path,
    kind: str,
    content_type: str,
    persons: tuple[tuple[float, float, float, float], ...] | None = None,
) -> EvidenceRef:
    data = path.read_bytes()
    return EvidenceRef(
        kind=kind,  # type: ignore[arg-type]
        filename=path.name,
        content_type=content_type,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        persons=persons,
    )
