"""What real IP cameras add to a frame: rolling shadows, IR night mode, low-bitrate codecs.

``sample_realism`` fixes one image's camera look from its own random stream (so the scene and
the ``effects`` draws stay as they were); ``shade`` works on the float render before the
sensor, ``finish`` on the sensor's uint8 frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from streetorder.models.synth.params import SceneParams

NIGHT = ("night_led", "night_sodium")
SUNLIT = ("day_sun", "day_overcast", "dusk", "dawn_haze")


@dataclass(frozen=True)
class Realism:
    shadow: float  # 0: none; else the darkening of dappled / passing-cloud shadows
    shadow_scale: float  # blob size as a share of the image width
    ir_night: bool  # a night scene seen by the camera's IR mode: grey, with bloom
    bloom: float  # 0: none; else the strength of the glow around bright spots
    codec: str  # "keep" (the effects' JPEG), "h264" (one low-bitrate intra frame)
    qp: int  # H.264 quantiser (higher: coarser)

    def as_dict(self) -> dict:
        return {
            "shadow": round(self.shadow, 3),
            "ir_night": self.ir_night,
            "bloom": round(self.bloom, 3),
            "codec": self.codec,
            "qp": self.qp,
        }


def sample_realism(rng: np.random.Generator, p: SceneParams) -> Realism:
    sunlit = p.lighting in SUNLIT
    shadow = float(rng.uniform(0.15, 0.4)) if sunlit and rng.random() < 0.3 else 0.0
    ir_night = p.lighting in NIGHT and rng.random() < 0.4
    grey = ir_night or p.lighting == "ir"
    glows = grey or (p.lighting in NIGHT and rng.random() < 0.5)
    bloom = float(rng.uniform(0.3, 0.9)) if glows else 0.0
    h264 = rng.random() < 0.45
    return Realism(
        shadow=shadow,
        shadow_scale=float(rng.uniform(0.06, 0.3)),
        ir_night=ir_night,
        bloom=bloom,
        codec="h264" if h264 else "keep",
        qp=int(rng.integers(30, 46)),
    )


def shade(img: np.ndarray, r: Realism, rng: np.random.Generator) -> np.ndarray:
    """Dappled light or a cloud's edge over the lower part of the float render."""
    if not r.shadow:
        return img
    h, w = img.shape[:2]
    cells = max(2, int(round(1.0 / r.shadow_scale)))
    field = rng.uniform(0.0, 1.0, (max(2, cells * h // w), cells)).astype(np.float32)
    field = cv2.resize(field, (w, h), interpolation=cv2.INTER_CUBIC)
    mask = np.clip((field - 0.5) * 6.0, 0.0, 1.0)  # soft-edged blobs, about half the area
    ramp = np.clip(np.linspace(-0.4, 1.6, h, dtype=np.float32), 0.0, 1.0)[:, None]
    return img * (1.0 - r.shadow * mask * ramp)[:, :, None]


def finish(frame: np.ndarray, r: Realism) -> np.ndarray:
    """IR grey and bloom, then the codec, on a uint8 BGR frame."""
    out = frame
    if r.ir_night:
        g = cv2.cvtColor(out, cv2.COLOR_BGR2GRAY).astype(np.float32)
        lift = min(2.5, 200.0 / max(float(np.percentile(g, 98)), 1.0))
        g = np.clip(g * lift + 8.0, 0, 255)  # the IR illuminator lifts the dark scene
        out = np.repeat(g[:, :, None], 3, axis=2).astype(np.uint8)
    if r.bloom:
        f = out.astype(np.float32)
        bright = np.clip(f - 190.0, 0.0, None)
        glow = cv2.GaussianBlur(bright, (0, 0), out.shape[1] / 90.0)
        out = np.clip(f + r.bloom * 1.5 * glow, 0, 255).astype(np.uint8)
    if r.codec == "h264":
        out = h264_round_trip(out, r.qp)
    return out


def h264_round_trip(frame: np.ndarray, qp: int) -> np.ndarray:
    """Encode one frame as an H.264 intra frame at quantiser ``qp`` and decode it again."""
    import av

    h, w = frame.shape[:2]
    ew, eh = w + (w % 2), h + (h % 2)  # 4:2:0 needs even sides
    src = cv2.copyMakeBorder(frame, 0, eh - h, 0, ew - w, cv2.BORDER_REPLICATE)
    enc = av.CodecContext.create("libx264", "w")
    enc.width, enc.height, enc.pix_fmt = ew, eh, "yuv420p"
    enc.options = {"qp": str(qp), "preset": "veryfast", "tune": "zerolatency", "threads": "1"}
    packets = [*enc.encode(av.VideoFrame.from_ndarray(src, format="bgr24")), *enc.encode(None)]
    dec = av.CodecContext.create("h264", "r")
    frames = [f for pk in packets for f in dec.decode(pk)] + list(dec.decode(None))
    if not frames:
        raise RuntimeError("H.264 round trip returned no frame")
    return np.ascontiguousarray(frames[0].to_ndarray(format="bgr24")[:h, :w])
