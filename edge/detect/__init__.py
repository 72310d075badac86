"""Object detection: any Ultralytics detect ONNX export on onnxruntime."""

from streetorder.edge.detect.class_map import (
    ClassMapping,
    check_zone_classes,
    map_classes,
    zone_class_problem,
)
from streetorder.edge.detect.letterbox import Letterbox, apply_letterbox, plan_letterbox
from streetorder.edge.detect.onnx_detector import OnnxDetector, model_info, parse_metadata

__all__ = [
    "ClassMapping",
    "Letterbox",
    "OnnxDetector",
    "apply_letterbox",
    "check_zone_classes",
    "map_classes",
    "model_info",
    "parse_metadata",
    "plan_letterbox",
    "zone_class_problem",
]
