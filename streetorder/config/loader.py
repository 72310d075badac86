"""Load YAML config files into pydantic models with errors that name file, key and reason."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from streetorder.errors import ConfigError

M = TypeVar("M", bound=BaseModel)
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _expand_env(value: Any, where: str, source: str) -> Any:
    """Replace ``${VAR}`` / ``${VAR:-default}`` in strings: secrets can live in the environment."""
    if isinstance(value, dict):
        return {
            k: _expand_env(v, f"{where}.{k}" if where else str(k), source) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_expand_env(v, f"{where}[{i}]", source) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        raise ConfigError(f"{source}: {where}: environment variable {name} is not set")

    return _ENV_REF.sub(substitute, value)


def format_location(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def validate_mapping(model: type[M], data: Any, source: str) -> M:
    """Validate already-parsed data; every error is one line of the :class:`ConfigError` naming
    ``source``, the key path and why."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: expected a mapping at the top level, got {type(data).__name__}"
        )
    data = _expand_env(data, "", source)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError("\n".join(describe_errors(exc, source))) from None


def describe_errors(exc: ValidationError, source: str) -> list[str]:
    """One line per validation error: ``source: key: reason``."""
    errors = exc.errors()
    lines = []
    for error in errors:
        if error["type"] == "too_short" and _has_deeper(error["loc"], errors):
            continue  # "at least 1 item" because an item failed: that item's error says why
        reason = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            reason = "unknown key (check the spelling)"
        lines.append(f"{source}: {format_location(error['loc'])}: {reason}")
    return lines


def _has_deeper(loc: tuple[Any, ...], errors: list[Any]) -> bool:
    return any(len(e["loc"]) > len(loc) and e["loc"][: len(loc)] == loc for e in errors)


def read_yaml(path: str | Path) -> Any:
    """The parsed content of a YAML file; unreadable or malformed files raise one clear error."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{path}: not valid YAML{at}") from None


def load_yaml(model: type[M], path: str | Path) -> M:
    """Read a YAML file and validate it as ``model``."""
    return validate_mapping(model, read_yaml(path), str(path))
