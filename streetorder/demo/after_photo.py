"""The officer's after-correction photo: the same camera's frontage once the goods are gone.

The generator renders the scenario again (same seed, set and scene) with the actors removed,
at the light of the video's last moment, so the picture is the same street, shop and light as
the evidence, minus what was put out (and the passers-by).
"""

from __future__ import annotations

import json
from pathlib import Path

from streetorder.errors import StreetorderError


def render_after_photo(truth_path: Path, out_path: Path) -> Path:
    """Write the scenario's frontage, cleared, as a JPEG at ``out_path``."""
    import cv2

    from streetorder.models.synth.scenarios import SETS, compose
    from streetorder.models.synth.video import FPS, HEIGHT, WIDTH, frames

    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    set_name, seed, name = truth["set"], int(truth["seed"]), truth["scenario"]
    spec = next((s for s in SETS[set_name][1] if s.name == name), None)
    if spec is None:
        raise StreetorderError(f"{truth_path}: scenario {name!r} is not in set {set_name!r}")
    script = compose(seed, set_name, spec, WIDTH, HEIGHT)
    script.actors = []  # the goods taken in, nobody passing
    end = spec.duration - 1.0 / FPS
    script.light = [(0.0, script.level(end))]  # the light of the video's last moment
    script.duration = 1.0 / FPS  # one frame
    _, image, _ = next(iter(frames(script)))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(out_path), image, [cv2.IMWRITE_JPEG_QUALITY, 90]):
        raise StreetorderError(f"{out_path}: cannot write the after-correction photo")
    return out_path
