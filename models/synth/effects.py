"""Lighting, weather and sensor effects applied to a rendered frame.

``sample_effects`` fixes a scene's look (lighting, rain, optics, compression); ``apply`` renders
it onto one frame with per-frame noise, so video frames flicker like a real sensor but keep the
same lighting unless ``level`` changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from streetorder.models.synth.params import SceneParams


@dataclass(frozen=True)
class Effects:
    gain: float
    tint: tuple[float, float, float]  # BGR multipliers
    gamma: float
    grey: bool  # infrared-like monochrome
    haze: float  # 0..1 mix towards a flat haze colour
    lamps: tuple[tuple[float, float, float, float], ...]  # (u, v, radius, strength), relative
    emissive_gain: float
    noise: float  # sensor noise sigma (0-255 scale)
    blur: float  # gaussian sigma in pixels at 640 px width
    motion_blur: int  # kernel length at 640 px width, 0 = none
    rain: int  # number of streaks at 640 px width
    vignette: float
    jpeg_quality: int  # 0: no JPEG round trip
    downscale: float  # 1.0 = none; <1 simulates a low-resolution sensor


def sample_effects(rng: np.random.Generator, p: SceneParams) -> Effects:
    lighting = p.lighting
    tint = (1.0, 1.0, 1.0)
    gamma, haze, grey, emissive, vignette = 1.0, 0.0, False, 0.0, rng.uniform(0.0, 0.25)
    lamps: list[tuple[float, float, float, float]] = []
    noise = rng.uniform(1.0, 6.0)
    if lighting == "day_sun":
        gain = rng.uniform(0.95, 1.25)
        tint = (rng.uniform(0.9, 1.0), 1.0, rng.uniform(1.0, 1.1))
    elif lighting == "day_overcast":
        gain = rng.uniform(0.8, 1.05)
        tint = (rng.uniform(1.0, 1.1), 1.0, rng.uniform(0.92, 1.0))
    elif lighting == "dusk":
        gain = rng.uniform(0.4, 0.7)
        tint = (rng.uniform(0.7, 0.85), rng.uniform(0.85, 0.95), 1.1)
        emissive = rng.uniform(0.3, 0.7)
        noise = rng.uniform(3.0, 8.0)
    elif lighting in ("night_led", "night_sodium"):
        gain = rng.uniform(0.12, 0.3)
        if lighting == "night_led":
            tint = (rng.uniform(1.0, 1.2), rng.uniform(1.0, 1.1), rng.uniform(0.85, 1.0))
        else:
            tint = (rng.uniform(0.35, 0.55), rng.uniform(0.75, 0.9), 1.25)
        emissive = rng.uniform(0.6, 1.0)
        noise = rng.uniform(4.0, 11.0)
        lamps = [
            (rng.uniform(0, 1), rng.uniform(0.3, 1.0), rng.uniform(0.2, 0.6), rng.uniform(0.4, 1.0))
            for _ in range(int(rng.integers(1, 4)))
        ]
    elif lighting == "ir":
        gain = rng.uniform(0.7, 1.1)
        grey = True
        gamma = rng.uniform(0.7, 1.1)
        vignette = rng.uniform(0.2, 0.5)
        noise = rng.uniform(3.0, 9.0)
        lamps = [(0.5, 0.6, rng.uniform(0.5, 0.9), rng.uniform(0.2, 0.6))]
    elif lighting == "dawn_haze":
        gain = rng.uniform(0.6, 0.85)
        tint = (rng.uniform(1.05, 1.2), rng.uniform(0.95, 1.05), rng.uniform(0.85, 0.95))
        haze = rng.uniform(0.25, 0.5)
        noise = rng.uniform(2.0, 7.0)
    else:
        raise ValueError(f"unknown lighting {lighting!r}")
    return Effects(
        gain=float(gain),
        tint=tuple(float(t) for t in tint),
        gamma=float(gamma),
        grey=grey,
        haze=float(haze),
        lamps=tuple(lamps),
        emissive_gain=float(emissive),
        noise=float(noise),
        blur=float(rng.uniform(0.0, 1.2)) if rng.random() < 0.6 else 0.0,
        motion_blur=int(rng.integers(3, 8)) if rng.random() < 0.1 else 0,
        rain=int(rng.integers(80, 300)) if p.rain else 0,
        vignette=float(vignette),
        jpeg_quality=int(rng.integers(30, 96)) if rng.random() < 0.8 else 0,
        downscale=float(rng.uniform(0.45, 0.9)) if rng.random() < 0.25 else 1.0,
    )


def apply(
    img: np.ndarray,
    emissive: np.ndarray,
    fx: Effects,
    rng: np.random.Generator,
    level: float = 1.0,
    compress: bool = True,
) -> np.ndarray:
    """Turn a rendered float BGR frame into a camera's uint8 BGR frame.

    ``level`` scales the light (a lighting change during a video); ``compress`` controls the
    JPEG round trip (videos are H.264-compressed by the writer instead).
    """
    h, w = img.shape[:2]
    k = w / 640.0
    out = img * (fx.gain * level) * np.array(fx.tint, np.float32)
    if fx.emissive_gain:
        out += img * (emissive * fx.emissive_gain * 1.5)[:, :, None]
    if fx.lamps:
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        pool = np.zeros((h, w), np.float32)
        for u, v, r, s in fx.lamps:
            d2 = ((xx - u * w) ** 2 + (yy - v * h) ** 2) / (r * w) ** 2
            pool += s * np.exp(-d2)
        out += img * pool[:, :, None] * 0.8
    if fx.grey:
        g = cv2.cvtColor(np.clip(out, 0, 255).astype(np.float32), cv2.COLOR_BGR2GRAY)
        out = np.repeat(g[:, :, None], 3, axis=2)
    if fx.haze:
        out = out * (1 - fx.haze) + np.float32(200.0 * fx.gain) * fx.haze
    if fx.vignette:
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        r2 = ((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2) * 2
        out *= (1 - fx.vignette * r2)[:, :, None]
    if fx.rain:
        streaks = np.zeros((h, w), np.float32)
        n = int(fx.rain * k * k)
        x = rng.uniform(0, w, n)
        y = rng.uniform(0, h, n)
        length = rng.uniform(8, 20, n) * k
        for xi, yi, li in zip(x, y, length, strict=True):
            cv2.line(streaks, (int(xi), int(yi)), (int(xi + li * 0.2), int(yi + li)), 1.0, 1)
        out = out * 0.85 + 30 * fx.gain + streaks[:, :, None] * 60
    if fx.blur:
        out = cv2.GaussianBlur(out, (0, 0), fx.blur * k)
    if fx.motion_blur:
        n = max(2, int(fx.motion_blur * k))
        kernel = np.zeros((n, n), np.float32)
        kernel[n // 2, :] = 1.0 / n
        out = cv2.filter2D(out, -1, kernel)
    if fx.downscale < 1.0:
        small = cv2.resize(
            out,
            (max(8, int(w * fx.downscale)), max(8, int(h * fx.downscale))),
            interpolation=cv2.INTER_AREA,
        )
        out = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    out = np.clip(out, 0, 255) / 255.0
    if fx.gamma != 1.0:
        out = out**fx.gamma
    out = out * 255.0 + rng.normal(0.0, fx.noise, out.shape[:2])[:, :, None].astype(np.float32) * (
        1.0 if fx.grey else np.float32(1.0)
    )
    if not fx.grey:
        out += rng.normal(0.0, fx.noise * 0.4, out.shape).astype(np.float32)
    frame = np.clip(out, 0, 255).astype(np.uint8)
    if compress and fx.jpeg_quality:
        ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, fx.jpeg_quality])
        frame = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return frame
