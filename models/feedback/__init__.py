"""The feedback loop: reviewers' verdicts exported as YOLO training data (``export-reviews``)."""
