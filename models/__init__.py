"""Models: synthetic street scenes, detector training and export, the bundled ONNX model."""
