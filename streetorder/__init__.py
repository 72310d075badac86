"""streetorder: camera-watched, human-judged enforcement of out-of-shop trading.

The installed namespace is ``streetorder.*``. In a source checkout the parts live in
top-level folders (``edge/``, ``models/``, ``platform/``, ``mobile_api/``); this package's
search path is extended to the checkout root so ``streetorder.edge`` resolves to ``edge/``.
The ``platform/`` folder deliberately has no ``__init__.py``: a bare ``import platform``
from the checkout root must still find the standard library module.
"""

from __future__ import annotations

from pathlib import Path

__version__ = "0.1.0"

_checkout_root = Path(__file__).resolve().parent.parent
if (_checkout_root / "pyproject.toml").is_file() and (_checkout_root / "edge").is_dir():
    __path__.append(str(_checkout_root))  # noqa: F821 - package __path__
