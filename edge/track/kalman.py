"""A batched constant-velocity Kalman filter on box centre and size (cx, cy, w, h)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]

_F = np.eye(8)
_F[:4, 4:] = np.eye(4)
_H = np.eye(4, 8)
_POS_STD = 1.0 / 20
_VEL_STD = 1.0 / 160


def initiate(xywh: F64) -> tuple[F64, F64]:
    """(n, 4) measurements → means (n, 8) and covariances (n, 8, 8)."""
    n = len(xywh)
    mean = np.concatenate([xywh, np.zeros((n, 4))], axis=1)
    size = np.maximum(xywh[:, 2:4], 1.0)
    std = np.concatenate(
        [2 * _POS_STD * size, 2 * _POS_STD * size, 10 * _VEL_STD * size, 10 * _VEL_STD * size],
        axis=1,
    )
    return mean, _diag(std**2)


def predict(mean: F64, cov: F64) -> tuple[F64, F64]:
    size = np.maximum(mean[:, 2:4], 1.0)
    std = np.concatenate([_POS_STD * size, _POS_STD * size, _VEL_STD * size, _VEL_STD * size], 1)
    mean = mean @ _F.T
    cov = _F @ cov @ _F.T + _diag(std**2)
    return mean, cov


def update(mean: F64, cov: F64, xywh: F64) -> tuple[F64, F64]:
    size = np.maximum(mean[:, 2:4], 1.0)
    std = np.concatenate([_POS_STD * size, _POS_STD * size], axis=1)
    s = _H @ cov @ _H.T + _diag(std**2)  # (n, 4, 4)
    gain = cov @ _H.T @ np.linalg.inv(s)  # (n, 8, 4)
    innovation = xywh - mean @ _H.T
    mean = mean + np.einsum("nij,nj->ni", gain, innovation)
    cov = cov - gain @ _H @ cov
    return mean, cov


def _diag(values: F64) -> F64:
    out = np.zeros((*values.shape, values.shape[-1]))
    idx = np.arange(values.shape[-1])
    out[:, idx, idx] = values
    return out


def xyxy_to_xywh(xyxy: npt.NDArray[np.floating]) -> F64:
    xyxy = np.asarray(xyxy, np.float64)
    wh = xyxy[:, 2:] - xyxy[:, :2]
    return np.concatenate([xyxy[:, :2] + wh / 2, wh], axis=1)


def xywh_to_xyxy(xywh: F64) -> F64:
    half = xywh[:, 2:4] / 2
    return np.concatenate([xywh[:, :2] - half, xywh[:, :2] + half], axis=1)
