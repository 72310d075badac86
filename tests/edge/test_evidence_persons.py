"""The alert's images tell the platform where people are (EvidenceRef.persons, in each file's
own pixels), so public renditions can blur bystanders; a video or an unknown says None."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from streetorder.contracts import Alert, EpisodeEnd, decode, encode
from streetorder.edge.pipeline import CameraPipeline
from tests.edge.blocks import BlockDetector
from tests.edge.test_pipeline import GOODS, pipeline, run

WALKER = ("person", (700, 300, 760, 460))  # far from the goods: outside the crop
BESIDE = ("person", (330, 380, 380, 520))  # next to the goods: inside the crop


def test_images_carry_the_people_of_their_frame(tmp_path: Path) -> None:
    timeline = [[]] * 10 + [[GOODS, WALKER, BESIDE]] * 50 + [[]] * 20
    alert, end = run(pipeline(tmp_path), timeline)
    assert isinstance(alert, Alert) and isinstance(end, EpisodeEnd)
    refs = {ref.kind: ref for ref in alert.evidence}
    walker, beside = (700, 300, 761, 461), (330, 380, 381, 521)  # the detector's boxes
    assert sorted(refs["clean_frame"].persons) == sorted([walker, beside])
    assert refs["annotated_frame"].persons == refs["clean_frame"].persons
    assert refs["clip"].persons is None  # a video: no per-frame boxes
    # the crop's boxes are in the crop's pixels: the walker is outside it, the other clipped
    (inside,) = refs["crop"].persons
    crop = decode_jpeg(tmp_path / "ev" / refs["crop"].filename)
    assert 0 <= inside[0] < inside[2] <= crop.shape[1] and 0 <= inside[1] < inside[3]
    assert inside[3] <= crop.shape[0]
    (after,) = end.evidence
    assert after.persons == ()  # nobody there when the frontage was seen clear
    assert decode(encode(alert)) == alert


def test_a_model_without_people_says_unknown(tmp_path: Path) -> None:
    class NoPeople(BlockDetector):
        names = ("goods", "rack", "table", "stall", "umbrella")

    p: CameraPipeline = pipeline(tmp_path)
    p.detector = NoPeople()
    alert, _ = run(p, [[]] * 10 + [[GOODS]] * 50 + [[]] * 20)
    assert all(ref.persons is None for ref in alert.evidence)


def decode_jpeg(path: Path) -> np.ndarray:
    import cv2

    return cv2.imdecode(np.frombuffer(path.read_bytes(), np.uint8), cv2.IMREAD_COLOR)
