"""Scene parameters and the train / held-out domains they are drawn from.

The held-out domain (test split, ``heldout`` scenarios) uses facade styles, camera yaw bins and
lighting presets that the training domain never draws, so test accuracy measures generalisation.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

N_FACADE_STYLES = 10
HELDOUT_FACADE_STYLES: tuple[int, ...] = (3, 8)
TRAIN_FACADE_STYLES: tuple[int, ...] = tuple(
    s for s in range(N_FACADE_STYLES) if s not in HELDOUT_FACADE_STYLES
)

YAW_LIMIT_DEG = 45.0
YAW_BIN_DEG = 5.0  # 18 bins over [-45, 45); every fourth is held out


def yaw_bin(yaw_deg: float) -> int:
    return int(math.floor((yaw_deg + YAW_LIMIT_DEG) / YAW_BIN_DEG))


def yaw_bin_is_heldout(b: int) -> bool:
    return b % 4 == 2


TRAIN_LIGHTING: tuple[str, ...] = ("day_sun", "day_overcast", "dusk", "night_led", "ir")
HELDOUT_LIGHTING: tuple[str, ...] = ("dawn_haze", "night_sodium")

DOMAINS = ("train", "heldout")


@dataclass(frozen=True)
class SceneParams:
    """Everything that fixes one scene's look, before objects are placed."""

    domain: str
    facade_style: int
    lighting: str
    yaw_deg: float
    pitch_deg: float
    cam_height: float
    cam_y: float
    hfov_deg: float
    pavement_width: float
    road_width: float
    frontage_line: bool
    frontage_depth: float
    rain: bool
    sun_azimuth: float
    sun_elevation: float

    def as_dict(self) -> dict:
        return asdict(self)


def sample_params(rng: np.random.Generator, domain: str) -> SceneParams:
    """Draw scene parameters from the ``train`` or ``heldout`` domain."""
    if domain not in DOMAINS:
        raise ValueError(f"domain must be one of {DOMAINS}, not {domain!r}")
    heldout = domain == "heldout"
    styles = HELDOUT_FACADE_STYLES if heldout else TRAIN_FACADE_STYLES
    style = int(rng.choice(styles))
    if heldout and rng.random() < 0.4:
        lighting = str(rng.choice(HELDOUT_LIGHTING))
    else:
        lighting = str(rng.choice(TRAIN_LIGHTING, p=[0.3, 0.25, 0.15, 0.15, 0.15]))
    while True:
        yaw = float(rng.uniform(-YAW_LIMIT_DEG, YAW_LIMIT_DEG - 1e-6))
        if yaw_bin_is_heldout(yaw_bin(yaw)) == heldout:
            break
    pav = float(rng.uniform(2.5, 6.0))
    road = float(rng.uniform(5.0, 10.0))
    while True:
        pitch = float(rng.uniform(10.0, 42.0))
        height = float(rng.uniform(2.8, 8.0))
        hfov = float(rng.uniform(45.0, 95.0))
        ground = height / math.tan(math.radians(pitch))
        target_y = float(rng.uniform(-1.0, pav))
        cam_y = target_y + ground * math.cos(math.radians(yaw))
        if pav * 0.6 <= cam_y <= pav + road + 6.0:
            break
    return SceneParams(
        domain=domain,
        facade_style=style,
        lighting=lighting,
        yaw_deg=yaw,
        pitch_deg=pitch,
        cam_height=height,
        cam_y=cam_y,
        hfov_deg=hfov,
        pavement_width=pav,
        road_width=road,
        frontage_line=bool(rng.random() < 0.5),
        frontage_depth=float(rng.uniform(0.8, min(2.0, pav - 0.5))),
        rain=bool(rng.random() < 0.12),
        sun_azimuth=float(rng.uniform(0, 2 * math.pi)),
        sun_elevation=float(rng.uniform(0.3, 1.2)),
    )
