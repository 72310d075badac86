"""Alert evidence: frame ring buffer, annotation, and the files (with sha256) sent per alert."""

from streetorder.edge.evidence.annotate import draw_caption, draw_detections, draw_zones
from streetorder.edge.evidence.ring import FrameRing
from streetorder.edge.evidence.video import Mp4Writer
from streetorder.edge.evidence.writer import (
    EvidenceExistsError,
    crop_box,
    existing_evidence,
    write_after_frame,
    write_evidence,
)

__all__ = [
    "EvidenceExistsError",
    "FrameRing",
    "Mp4Writer",
    "crop_box",
    "draw_caption",
    "draw_detections",
    "draw_zones",
    "existing_evidence",
    "write_after_frame",
    "write_evidence",
]
