"""Render a composed scenario to an H.264 mp4 and write its truth, edge config and index.

The static camera's background (with street furniture) is rendered once; a frame is re-rendered
only when an actor moved or the light changed since the previous frame, and sensor noise comes
from a small bank of pre-drawn noise images, so a minute of video takes seconds.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from streetorder.models.synth import GENERATOR_VERSION
from streetorder.models.synth.effects import Effects, sample_effects
from streetorder.models.synth.scenarios import (
    CLEAR_SECONDS,
    SETS,
    VIOLATION_CLASSES,
    Script,
    Spec,
    compose,
)
from streetorder.models.synth.scene import render
from streetorder.models.synth.stage import derive_episodes
from streetorder.vocabulary import CLASS_NAMES

FPS = 5
WIDTH, HEIGHT = 960, 540
NOISE_BANK = 6
MAX_NOISE = 3.0  # sensor noise sigma cap: keeps the H.264 files small
CAMERA_ID = "cam-01"
DAY_START = "2026-11-20T10:00:00+08:00"
NIGHT_START = "2026-11-20T21:30:00+08:00"


class Look:
    """The scene's camera look (``effects``) as precomputed maps, minus noise and compression.

    Mirrors :func:`effects.apply` for a fixed background: the emissive mask, lamp pools and
    vignette do not change between frames, so only ``img * gain map`` and the global steps run
    per frame.
    """

    def __init__(self, fx: Effects, emissive: np.ndarray) -> None:
        h, w = emissive.shape
        self.fx = fx
        self.k = np.float32(fx.gain) * np.array(fx.tint, np.float32)
        extra = emissive * np.float32(fx.emissive_gain * 1.5)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        for u, v, r, strength in fx.lamps:
            d2 = ((xx - u * w) ** 2 + (yy - v * h) ** 2) / (r * w) ** 2
            extra += np.float32(strength * 0.8) * np.exp(-d2)
        self.extra = extra[:, :, None].astype(np.float32)
        r2 = ((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2) * 2
        self.vignette = (1 - np.float32(fx.vignette) * r2)[:, :, None].astype(np.float32)
        levels = np.arange(256, dtype=np.float64) / 255.0
        self.gamma_lut = np.clip(levels**fx.gamma * 255.0 + 0.5, 0, 255).astype(np.uint8)
        self._level: float | None = None
        self._map: tuple[np.ndarray, np.ndarray | None] = (self.extra, None)

    def gain_map(self, level: float) -> tuple[np.ndarray, np.ndarray | None]:
        """(per-pixel multiplier, additive term) for ``level``; vignette and haze folded in
        unless the image goes grey (then they apply after the conversion)."""
        if level != self._level:
            fx = self.fx
            m = self.k * np.float32(level) + self.extra
            add = None
            if not fx.grey:
                if fx.haze:
                    m = m * np.float32(1 - fx.haze)
                    add = np.float32(200.0 * fx.gain * fx.haze) * self.vignette
                    add = np.ascontiguousarray(np.repeat(add, 3, axis=2))
                m = m * self.vignette
            self._level, self._map = level, (np.ascontiguousarray(m, np.float32), add)
        return self._map

    def __call__(self, img: np.ndarray, level: float) -> np.ndarray:
        fx = self.fx
        h, w = img.shape[:2]
        m, add = self.gain_map(level)
        out = cv2.multiply(img, m)
        if fx.grey:
            g = cv2.cvtColor(np.clip(out, 0, 255), cv2.COLOR_BGR2GRAY)
            out = cv2.cvtColor(g, cv2.COLOR_GRAY2BGR)
            if fx.haze:
                out = out * np.float32(1 - fx.haze) + np.float32(200.0 * fx.gain * fx.haze)
            out *= self.vignette
        elif add is not None:
            out += add
        if fx.blur:
            out = cv2.GaussianBlur(out, (0, 0), fx.blur * w / 640.0)
        if fx.downscale < 1.0:
            size = (max(8, int(w * fx.downscale)), max(8, int(h * fx.downscale)))
            small = cv2.resize(out, size, interpolation=cv2.INTER_AREA)
            out = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
        frame = cv2.convertScaleAbs(out)  # saturates to 0..255 (inputs are non-negative)
        return cv2.LUT(frame, self.gamma_lut) if fx.gamma != 1.0 else frame


def frames(script: Script, fps: int = FPS):
    """Yield (t, uint8 BGR frame, objects) for every frame of the scenario."""
    stage = script.stage
    rng = np.random.default_rng(stage.scene.texture_seed)
    fx = sample_effects(rng, stage.params)
    sigma = min(fx.noise, MAX_NOISE)
    h, w = stage.camera.height, stage.camera.width
    bank = np.clip(np.rint(rng.normal(0.0, sigma, (NOISE_BANK, h, w, 1))), -64, 64)
    bank = np.repeat(bank.astype(np.int16), 3, axis=3)
    base = render(stage.scene, things=stage.static)[:2]
    look = Look(fx, base[1])
    last_key, clean, objects = None, None, []
    weather_rng = np.random.default_rng([stage.scene.texture_seed, 2])
    n = int(round(script.duration * fps))
    for i in range(n):
        t = i / fps
        present = [a for a in script.actors if a.present(t)]
        level = round(script.level(t), 4)
        key = (level, *((a.object_id, *np.round(_xyz(a, t), 4)) for a in present))
        if key != last_key:
            things = [a.posed(t) for a in present]
            img, _, labels = render(stage.scene, base, things)
            clean = look(img, level).astype(np.int16)
            objects = [
                {
                    "object_id": present[lab.thing_index].object_id,
                    "class_name": CLASS_NAMES[lab.class_id],
                    "box_xyxy": [round(v, 1) for v in lab.box],
                }
                for lab in labels
            ]
            last_key = key
        frame = np.clip(clean + bank[i % NOISE_BANK], 0, 255).astype(np.uint8)
        if script.shake or script.rain:
            frame, shifted = weather(frame, objects, script, weather_rng)
            yield t, frame, shifted
        else:
            yield t, frame, objects


def weather(frame: np.ndarray, objects: list[dict], script: Script, rng: np.random.Generator):
    """Camera shake (the whole image offset, truth boxes with it) and rain streaks."""
    if script.shake:
        dx, dy = rng.uniform(-script.shake, script.shake, 2)
        m = np.float32([[1, 0, dx], [0, 1, dy]])
        h, w = frame.shape[:2]
        frame = cv2.warpAffine(frame, m, (w, h), borderMode=cv2.BORDER_REPLICATE)
        objects = [
            {
                **o,
                "box_xyxy": [
                    round(v + (dx if k % 2 == 0 else dy), 1) for k, v in enumerate(o["box_xyxy"])
                ],
            }  # fmt: skip
            for o in objects
        ]
    if script.rain:
        h, w = frame.shape[:2]
        streaks = np.zeros_like(frame)
        n = int(script.rain * w * h / 1500)
        x = rng.integers(0, w, n)
        y = rng.integers(0, h, n)
        length = rng.integers(8, 22, n)
        for x0, y0, ln in zip(x.tolist(), y.tolist(), length.tolist(), strict=True):
            cv2.line(streaks, (x0, y0), (x0 + ln // 5, y0 + ln), (60, 60, 60), 1)
        frame = cv2.add(cv2.convertScaleAbs(frame, alpha=0.85), streaks)
    return frame, objects


def reference_frame(script: Script) -> np.ndarray:
    """The installer's snapshot of the clear frontage: the fixed scene (furniture and fittings,
    no actors) at another light level and with its own noise, as a camera took it earlier."""
    stage = script.stage
    rng = np.random.default_rng(stage.scene.texture_seed)
    fx = sample_effects(rng, stage.params)
    own = np.random.default_rng([stage.scene.texture_seed, 1])
    base = render(stage.scene, things=stage.static)
    look = Look(fx, base[1])
    clean = look(base[0], float(own.uniform(0.75, 1.2))).astype(np.int16)
    noise = np.rint(own.normal(0.0, min(fx.noise, MAX_NOISE), clean.shape[:2] + (1,)))
    return np.clip(clean + noise.astype(np.int16), 0, 255).astype(np.uint8)


def _xyz(actor, t: float) -> tuple[float, float, float]:
    p = actor.pose(t)
    return (p.x, p.y, p.z)


def write_scenario(
    out: Path, seed: int, set_name: str, spec: Spec, progress=None, fps: int = FPS
) -> dict:
    """Write ``<name>.mp4``, ``<name>.truth.json`` and ``<name>.yaml``; return the truth."""
    import av

    script = compose(seed, set_name, spec, WIDTH, HEIGHT)
    stage = script.stage
    name = spec.name
    video = out / f"{name}.mp4"
    truth_frames = []
    with av.open(str(video), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.codec_context.thread_count = 1
        stream.options = {"preset": "veryfast", "crf": "28", "g": str(2 * fps), "threads": "1"}
        for t, frame, objects in frames(script, fps):
            vf = av.VideoFrame.from_ndarray(frame, format="bgr24")
            for packet in stream.encode(vf):
                container.mux(packet)
            truth_frames.append({"t": round(t, 3), "objects": objects})
            if progress is not None:
                progress(1)
        for packet in stream.encode():
            container.mux(packet)
    dwell = {z.zone_id: spec.dwell for z in stage.zones}
    episodes = derive_episodes(
        stage, script.actors, VIOLATION_CLASSES, dwell, CLEAR_SECONDS, spec.duration, fps
    )
    reference = out / f"{name}.reference.jpg"
    cv2.imwrite(str(reference), reference_frame(script), [cv2.IMWRITE_JPEG_QUALITY, 90])
    config = edge_config(script, spec, video.name, reference.name)
    (out / f"{name}.yaml").write_text(_yaml(config), encoding="utf-8")
    truth = {
        "version": 1,
        "scenario": name,
        "video": video.name,
        "config": f"{name}.yaml",
        "fps": float(fps),
        "frame_size": [WIDTH, HEIGHT],
        "frame_count": len(truth_frames),
        "duration_seconds": spec.duration,
        "started_at": NIGHT_START if spec.night else DAY_START,
        "set": set_name,
        "seed": seed,
        "generator_version": GENERATOR_VERSION,
        "description": (spec.script.__doc__ or "").strip(),
        "scene": stage.params.as_dict(),
        "episodes": [
            {
                "camera_id": CAMERA_ID,
                "zone_id": e.zone_id,
                "shop_id": e.shop_id,
                "start_seconds": e.start,
                "end_seconds": e.end,
                "threshold_seconds": e.threshold,
                "classes": list(e.classes),
            }
            for e in episodes
        ],
        "frames": truth_frames,
    }
    (out / f"{name}.truth.json").write_text(json.dumps(truth) + "\n", encoding="utf-8")
    return truth


def edge_config(
    script: Script, spec: Spec, video_name: str, reference_name: str | None = None
) -> dict:
    """A one-camera edge node config watching the scenario's frontage zones (with the
    installer's snapshot as its scene reference, when given)."""
    stage = script.stage
    zones = [
        {
            "id": z.zone_id,
            "shop_id": z.shop_id,
            "name": f"{z.shop_id} frontage",
            "polygon": stage.relative_polygon(z),
            "rules": {"dwell_seconds": spec.dwell, "clear_seconds": CLEAR_SECONDS},
        }
        for z in stage.zones
    ]
    camera = {
        "id": CAMERA_ID,
        "source": video_name,
        "analysis_interval_seconds": 1.0,
        "zones": zones,
    }
    if reference_name is not None:
        camera["reference"] = {"image": reference_name}
    return {"node_id": f"scenario-{spec.name}".replace("_", "-"), "cameras": [camera]}


def _yaml(config: dict) -> str:
    import yaml

    from streetorder.edge.config import EdgeNodeConfig

    EdgeNodeConfig.model_validate(config)  # never write a config the edge would refuse
    head = "# Generated by `streetorder models scenarios`; source is relative to this file.\n"
    return head + yaml.safe_dump(config, sort_keys=False, default_flow_style=None)


def write_set(
    out: Path,
    set_name: str,
    seed: int,
    progress: bool = True,
    only: list[str] | None = None,
    fps: int = FPS,
) -> list[dict]:
    """Generate a scenario set into ``out`` at ``fps`` frames per second (the node analyses one
    a second: ``fps=1`` renders five times faster for benchmarks); returns the index entries."""
    from tqdm import tqdm

    if set_name not in SETS:
        raise ValueError(f"unknown scenario set {set_name!r}; expected one of {sorted(SETS)}")
    _, specs = SETS[set_name]
    if only:
        unknown = sorted(set(only) - {s.name for s in specs})
        if unknown:
            raise ValueError(f"no scenario {unknown[0]!r} in set {set_name!r}")
        specs = tuple(s for s in specs if s.name in only)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    total = sum(int(round(s.duration * fps)) for s in specs)
    entries = []
    with tqdm(total=total, desc=f"scenarios:{set_name}", unit="frame", disable=not progress) as bar:
        for spec in specs:
            bar.set_postfix_str(spec.name)
            truth = write_scenario(out, seed, set_name, spec, progress=bar.update, fps=fps)
            entries.append(
                {
                    "name": spec.name,
                    "video": truth["video"],
                    "truth": f"{spec.name}.truth.json",
                    "config": truth["config"],
                    "episodes": len(truth["episodes"]),
                    "duration_seconds": truth["duration_seconds"],
                }
            )
    index = {
        "version": 1,
        "set": set_name,
        "seed": seed,
        "generator_version": GENERATOR_VERSION,
        "scenarios": entries,
    }
    (out / "index.json").write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
    return entries
