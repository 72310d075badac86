"""Object detection: any Ultralytics detect ONNX export on onnxruntime."""

from streetorder.edge.detect.letterbox import Letterbox, apply_letterbox, plan_letterbox
from streetorder.edge.detect.onnx_detector import OnnxDetector, model_info, parse_metadata

__all__ = [
    "Letterbox",
    "OnnxDetector",
    "apply_letterbox",
    "model_info",
    "parse_metadata",
    "plan_letterbox",
]
