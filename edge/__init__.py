"""Edge runtime: camera streams → ONNX detection → tracked dwell in frontage zones → alerts.

Runs on onnxruntime, OpenCV and numpy only: nothing here may import torch or ultralytics.
"""
