"""Ultralytics' detection trainer, tuned for training on a small CPU.

Two defaults of Ultralytics cost this project half its training speed on a 2-core machine:
- on the CPU it trains with ``cpu_count - 1`` torch threads, one thread here; this trainer uses
  every core (the data loader is ~4 % of a step with the images cached in RAM);
- it keeps channels-last (NHWC) memory for CUDA only. On this project's slim network one step
  measured 0.68 s in NCHW and 0.54 s in NHWC (oneDNN convolutions, batch 16, 320 px, 2 threads).
"""

from __future__ import annotations

import os
from typing import Any

import torch
from ultralytics.models.yolo.detect import DetectionTrainer


class CpuTrainer(DetectionTrainer):
    """DetectionTrainer on all cores, with channels-last weights and input images."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # selects the device, which sets one thread fewer
        torch.set_num_threads(os.cpu_count() or 1)

    def setup_model(self) -> Any:
        ckpt = super().setup_model()
        self.model = self.model.to(memory_format=torch.channels_last)
        return ckpt

    def preprocess_batch(self, batch: dict) -> dict:
        batch = super().preprocess_batch(batch)
        batch["img"] = batch["img"].contiguous(memory_format=torch.channels_last)
        return batch
