"""Evidence: bounded frame ring, crop geometry, files with their sha256."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from streetorder.edge.evidence import (
    EvidenceExistsError,
    FrameRing,
    crop_box,
    existing_evidence,
    write_evidence,
)
from tests.edge.blocks import scene


def test_ring_keeps_only_recent_downscaled_frames() -> None:
    ring = FrameRing(seconds=5, max_side=320)
    for t in range(30):
        ring.add(float(t), scene([("goods", (100, 100, 400, 400))], (1920, 1080)))
    assert len(ring) == 6  # t = 24..29
    frames = ring.window(0, 100)
    assert [t for t, _ in frames] == [24, 25, 26, 27, 28, 29]
    assert frames[0][1].shape == (180, 320, 3)
    assert ring.nbytes < 6 * 20_000  # JPEG-encoded, not raw (raw would be 6 × 172 kB)
    assert [t for t, _ in ring.window(26, 27)] == [26, 27]


def test_ring_is_bounded_by_count_too() -> None:
    ring = FrameRing(seconds=1000, max_side=64, max_frames=10)
    for t in range(50):
        ring.add(float(t), np.zeros((100, 100, 3), np.uint8))
    assert len(ring) == 10


@pytest.mark.parametrize(
    ("boxes", "expected"),
    [
        ([[100, 100, 200, 200]], (77, 77, 223, 223)),
        ([[0, 0, 50, 50], [60, 60, 100, 100]], (0, 0, 123, 123)),
        ([[600, 300, 640, 360]], (586, 283, 640, 360)),
    ],
)
def test_crop_box(boxes, expected) -> None:
    assert crop_box(np.array(boxes, np.float32), (640, 360)) == expected


def test_evidence_files_and_hashes(tmp_path: Path) -> None:
    frame = scene([("goods", (100, 100, 200, 200))], (640, 360))
    clip = [(float(t), frame) for t in range(4)]
    refs = write_evidence(tmp_path, "al-1", frame, frame, (90, 90, 210, 210), clip, 1.0)
    assert [r.kind for r in refs] == ["clean_frame", "annotated_frame", "crop", "clip"]
    for r in refs:
        data = (tmp_path / r.filename).read_bytes()
        assert r.sha256 == hashlib.sha256(data).hexdigest() and r.size_bytes == len(data)
    assert not list(tmp_path.glob("*.part"))


def test_evidence_is_write_once(tmp_path: Path) -> None:
    first = scene([("goods", (100, 100, 200, 200))], (640, 360))
    other = scene([("table", (300, 100, 420, 260))], (640, 360))
    clip = [(float(t), first) for t in range(3)]
    refs = write_evidence(tmp_path, "al-1", first, first, (90, 90, 210, 210), clip, 1.0)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    # the same bytes again (a retry) are a no-op
    again = write_evidence(tmp_path, "al-1", first, first, (90, 90, 210, 210), [], 1.0)
    assert again == refs[:3]
    # other content under the same name is refused and the first file stays as it was
    with pytest.raises(EvidenceExistsError, match="al-1_clean.jpg: evidence file exists"):
        write_evidence(tmp_path, "al-1", other, other, (290, 90, 430, 270), clip, 1.0)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    for r in existing_evidence(tmp_path, "al-1"):
        assert r.sha256 == hashlib.sha256((tmp_path / r.filename).read_bytes()).hexdigest()
    assert existing_evidence(tmp_path, "al-1") == refs
    assert not list(tmp_path.glob(".*"))
