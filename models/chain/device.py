"""Which device a training stage runs on: the first CUDA device when there is one, else the CPU."""

from __future__ import annotations

import os
from typing import Any

OVERRIDE = "STREETORDER_TRAIN_DEVICE"


def choose_device() -> str:
    """``cuda:0`` when torch sees a CUDA device, ``cpu`` otherwise; ``$STREETORDER_TRAIN_DEVICE``
    ("cpu" or "cuda:N") overrides the choice."""
    import torch

    wanted = os.environ.get(OVERRIDE, "").strip()
    if wanted:
        if wanted != "cpu" and not (wanted.startswith("cuda:") and wanted[5:].isdigit()):
            raise ValueError(f"${OVERRIDE} must be 'cpu' or 'cuda:N', not {wanted!r}")
        return wanted
    if torch.cuda.is_available() and torch.cuda.device_count() > 0:
        return "cuda:0"
    return "cpu"


def describe_device(device: str) -> dict[str, Any]:
    """What the manifest records about the device a stage ran on."""
    import torch

    info: dict[str, Any] = {"device": device, "torch": torch.__version__}
    if device.startswith("cuda"):
        index = int(device.split(":")[1])
        info["name"] = torch.cuda.get_device_name(index)
        info["cuda"] = torch.version.cuda
    else:
        info["name"] = _cpu_name()
        info["cores"] = os.cpu_count()
        # what the CPU trainer trains with (torch's own count is Ultralytics' after training)
        from streetorder.models.cpu_trainer import train_threads

        info["threads"] = train_threads()
    try:
        import ultralytics

        info["ultralytics"] = ultralytics.__version__
    except ModuleNotFoundError:
        pass
    return info


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"
