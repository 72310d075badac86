"""Replay recorded footage through the edge pipeline and score it against ground truth."""
