"""The files a node config refers to, checked before the node needs them.

``edge check-config`` reports every missing file at once, each as ``config: key: path: reason``,
with the path resolved the way the node resolves it: the broker's TLS files as given (as the MQTT
client opens them), camera sources, reference images and the model relative to the config's
folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from streetorder.edge.config import EdgeNodeConfig
from streetorder.edge.sources import source_kind


def referenced_files(config: EdgeNodeConfig, base_dir: Path) -> list[tuple[str, Path]]:
    """(key, path) of every local file the config names."""

    def under_base(path: str | Path) -> Path:
        path = Path(path)
        return path if path.is_absolute() else base_dir / path

    files: list[tuple[str, Path]] = []
    tls = config.broker.tls if config.broker is not None else None
    if tls is not None:
        for key in ("ca_file", "cert_file", "key_file"):
            value = getattr(tls, key)
            if value is not None:
                files.append((f"broker.tls.{key}", Path(value)))
    if config.model.path is not None:
        files.append(("model.path", under_base(config.model.path)))
    for i, camera in enumerate(config.cameras):
        if source_kind(camera.source) == "file":
            files.append(
                (f"cameras[{i}].source", under_base(camera.source.removeprefix("file://")))
            )
        if camera.reference is not None and camera.reference.image is not None:
            files.append((f"cameras[{i}].reference.image", under_base(camera.reference.image)))
    return files


def missing_file_problems(config: EdgeNodeConfig, base_dir: Path) -> list[str]:
    """``key: path: reason`` for each referenced file that is missing or unreadable."""
    problems = []
    for key, path in referenced_files(config, base_dir):
        if not path.exists():
            problems.append(f"{key}: {path}: file not found")
        elif not path.is_file():
            problems.append(f"{key}: {path}: not a file")
        elif not os.access(path, os.R_OK):
            problems.append(f"{key}: {path}: not readable")
    return problems
