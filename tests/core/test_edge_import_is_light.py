"""The edge runs on onnxruntime, OpenCV and numpy: importing it must not load torch."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import streetorder.edge

HEAVY = ("torch", "ultralytics", "torchvision")


def _edge_modules() -> list[str]:
    names = ["streetorder.edge"]
    for info in pkgutil.walk_packages(streetorder.edge.__path__, prefix="streetorder.edge."):
        names.append(info.name)
    return names


def test_importing_every_edge_module_loads_no_torch() -> None:
    modules = _edge_modules()
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"edge imports loaded: {result.stdout.strip()}"
    assert len(modules) >= 2
