"""Pinhole camera over the street: world metres to pixels, with near-plane clipping.

World axes: X along the street, Y from the facade (Y=0) out across pavement and road, Z up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

NEAR = 0.2


@dataclass(frozen=True)
class Camera:
    """A camera at ``position`` looking with ``yaw`` (0 = straight at the facade) and ``pitch``
    (down, radians); ``hfov`` is the horizontal field of view (radians)."""

    position: tuple[float, float, float]
    yaw: float
    pitch: float
    hfov: float
    width: int
    height: int

    @property
    def focal(self) -> float:
        return (self.width / 2) / math.tan(self.hfov / 2)

    def axes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Right, down and forward unit vectors in world coordinates."""
        return self._axes

    @cached_property
    def _axes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        cp, sp = math.cos(self.pitch), math.sin(self.pitch)
        fwd = np.array([math.sin(self.yaw) * cp, -math.cos(self.yaw) * cp, -sp])
        right = np.cross(fwd, [0.0, 0.0, 1.0])
        right /= np.linalg.norm(right)
        down = np.cross(fwd, right)
        return right, down, fwd

    def to_camera(self, pts: np.ndarray) -> np.ndarray:
        """(N, 3) world points to (N, 3) camera coordinates (x right, y down, z forward)."""
        r, d, f = self.axes()
        rel = np.asarray(pts, dtype=np.float64) - np.asarray(self.position)
        return np.stack([rel @ r, rel @ d, rel @ f], axis=1)

    def project_cam(self, cam_pts: np.ndarray) -> np.ndarray:
        """(N, 3) camera-coordinate points (z > 0) to (N, 2) pixels."""
        fl = self.focal
        z = cam_pts[:, 2]
        u = fl * cam_pts[:, 0] / z + self.width / 2
        v = fl * cam_pts[:, 1] / z + self.height / 2
        return np.stack([u, v], axis=1)

    def project(self, pts: np.ndarray) -> np.ndarray | None:
        """Project a world polygon, clipped to the near plane; None when wholly behind."""
        cam = clip_near(self.to_camera(pts))
        if cam is None:
            return None
        return self.project_cam(cam)

    def depth(self, point: np.ndarray) -> float:
        return float(self.to_camera(np.asarray(point, dtype=np.float64)[None])[0, 2])

    def scaled(self, width: int, height: int) -> Camera:
        return Camera(self.position, self.yaw, self.pitch, self.hfov, width, height)


def clip_near(cam_pts: np.ndarray, near: float = NEAR) -> np.ndarray | None:
    """Sutherland-Hodgman clip of a polygon (camera coordinates) against z >= near."""
    z = cam_pts[:, 2]
    if np.all(z >= near):
        return cam_pts
    if np.all(z < near):
        return None
    out = []
    n = len(cam_pts)
    for i in range(n):
        a, b = cam_pts[i], cam_pts[(i + 1) % n]
        a_in, b_in = a[2] >= near, b[2] >= near
        if a_in:
            out.append(a)
        if a_in != b_in:
            t = (near - a[2]) / (b[2] - a[2])
            out.append(a + t * (b - a))
    return np.array(out) if len(out) >= 3 else None
