"""Ultralytics' detection trainer, tuned for training on a small CPU.

Two defaults of Ultralytics cost this project half its training speed on a 2-core machine:
- on the CPU it trains with ``cpu_count - 1`` torch threads, one thread here; this trainer uses
  every core (the data loader is ~4 % of a step with the images cached in RAM);
- it keeps channels-last (NHWC) memory for CUDA only. On this project's slim network one step
  measured 0.68 s in NCHW and 0.54 s in NHWC (oneDNN convolutions, batch 16, 320 px, 2 threads).

And one it lacks: Ultralytics allows bfloat16 mixed precision (``amp="bf16"``) on CUDA only. On a
CPU with native bfloat16 arithmetic this trainer runs the forward pass under ``torch.autocast``
on the CPU instead (weights, optimizer and BatchNorm statistics stay float32).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
import ultralytics.engine.trainer as ultralytics_trainer
from ultralytics.models.yolo.detect import DetectionTrainer

_ultralytics_autocast = ultralytics_trainer.autocast


def cpu_has_native_bf16() -> bool:
    """True when the CPU computes in bfloat16 natively (AVX-512 BF16 or AMX), where it pays."""
    try:
        words = set(Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace").split())
    except OSError:
        return False
    return bool(words & {"avx512_bf16", "amx_bf16"})


def train_threads() -> int:
    """Every core, or ``$STREETORDER_TRAIN_THREADS``: on a host crowded with other jobs one
    thread avoids two threads waiting for each other at every operator."""
    wanted = os.environ.get("STREETORDER_TRAIN_THREADS", "").strip()
    if wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    return os.cpu_count() or 1


def _autocast(enabled: bool | torch.dtype, device: str = "cuda") -> Any:
    """Ultralytics' autocast, plus bfloat16 on the CPU (which Ultralytics refuses)."""
    if device == "cpu" and enabled is torch.bfloat16:
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return _ultralytics_autocast(enabled, device=device)


class CpuTrainer(DetectionTrainer):
    """DetectionTrainer on all cores, with channels-last weights and input images."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # selects the device, which sets one thread fewer
        torch.set_num_threads(train_threads())
        ultralytics_trainer.autocast = _autocast

    def setup_model(self) -> Any:
        ckpt = super().setup_model()
        self.model = self.model.to(memory_format=torch.channels_last)
        return ckpt

    def preprocess_batch(self, batch: dict) -> dict:
        batch = super().preprocess_batch(batch)
        batch["img"] = batch["img"].contiguous(memory_format=torch.channels_last)
        return batch
