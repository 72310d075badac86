"""Bring your own detector: map a model's class names onto the project's vocabulary.

``model.class_map`` in the node config names, per model class, the project class it counts as
(``streetorder/vocabulary.py``) or ``ignore``. Model classes it does not list keep their name
when it is a project class (``person`` stays ``person``) and are dropped otherwise. Several
model classes may map to one project class; their boxes are then one class for NMS.

The detector exposes the names after mapping; every zone's classes must be among them, which
``edge check-config``, node start, config push and ``replay`` check (``zone_class_problem``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from streetorder.contracts import CameraConfig
from streetorder.errors import ConfigError, StreetorderError
from streetorder.vocabulary import CLASS_NAMES

IGNORE = "ignore"


@dataclass(frozen=True)
class ClassMapping:
    """How a model's class ids become the project's.

    Attributes:
        model_names: the model's own classes, by class id.
        names: the project classes the model can report, in vocabulary order.
        lookup: (len(model_names),) index into ``names`` per model class id, -1 for a dropped
            class; None when the model already speaks the vocabulary in its order.
    """

    model_names: tuple[str, ...]
    names: tuple[str, ...]
    lookup: npt.NDArray[np.int64] | None

    def targets(self) -> dict[str, str]:
        """Model class → project class or ``ignore``, for every model class."""
        if self.lookup is None:
            return {n: n for n in self.model_names}
        pairs = zip(self.model_names, self.lookup.tolist(), strict=True)
        return {m: self.names[i] if i >= 0 else IGNORE for m, i in pairs}

    def describe(self) -> str:
        """What the model's classes become, e.g. ``umbrella, dining table → table; 78 ignored``."""
        targets = self.targets()
        kept = [m if m == t else f"{m} → {t}" for m, t in targets.items() if t != IGNORE]
        ignored = len(targets) - len(kept)
        return (", ".join(kept) or "no class kept") + (f"; {ignored} ignored" if ignored else "")


def map_classes(
    model_names: tuple[str, ...], class_map: Mapping[str, str], model: str
) -> ClassMapping:
    """Apply ``class_map`` to a model's classes; ``model`` names the file in errors.

    Raises:
        StreetorderError: a ``class_map`` key that is not one of the model's classes, or a
            ``class_map`` for a model whose metadata has no class names.
    """
    if not model_names:
        if class_map:
            raise StreetorderError(
                f"model.class_map is set but {model} has no class names in its metadata"
            )
        return ClassMapping((), (), None)
    unknown = [k for k in class_map if k not in model_names]
    if unknown:
        raise StreetorderError(
            f"model.class_map.{unknown[0]}: not a class of {model} "
            f"(its classes: {', '.join(model_names)})"
        )
    targets = [class_map.get(n, n if n in CLASS_NAMES else IGNORE) for n in model_names]
    if tuple(targets) == model_names:  # the model speaks the vocabulary: ids stay as they are
        return ClassMapping(model_names, model_names, None)
    names = tuple(c for c in CLASS_NAMES if c in targets)
    lookup = np.array([names.index(t) if t != IGNORE else -1 for t in targets], np.int64)
    return ClassMapping(model_names, names, lookup)


def check_zone_classes(cameras: Iterable[CameraConfig], detector: Any, where: str | Path) -> None:
    """Refuse cameras whose zones ask for a class ``detector`` cannot report: one line naming
    ``where`` (the config file), the key and the model's classes.

    Raises:
        ConfigError: the first such zone.
    """
    names = tuple(getattr(detector, "names", ()))
    problem = zone_class_problem(cameras, names, tuple(getattr(detector, "model_names", names)))
    if problem:
        raise ConfigError(f"{where}: {problem}")


def zone_class_problem(
    cameras: Iterable[CameraConfig], names: tuple[str, ...], model_names: tuple[str, ...]
) -> str | None:
    """The first zone class the model cannot report, as ``key: reason``; None if all can.

    ``names``: the model's classes after ``model.class_map``; ``model_names``: before.
    """
    for i, camera in enumerate(cameras):
        for j, zone in enumerate(camera.zones):
            missing = [c for c in zone.rules.classes if c not in names]
            if missing:
                before = (
                    f"; before model.class_map: {', '.join(model_names)}"
                    if model_names and model_names != names
                    else ""
                )
                return (
                    f"cameras[{i}].zones[{j}].rules.classes: {missing[0]!r} is not a class of "
                    f"the model (camera {camera.id}, zone {zone.id}; the model's classes: "
                    f"{', '.join(names) or 'none'}{before})"
                )
    return None
