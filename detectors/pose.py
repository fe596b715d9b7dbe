"""Head pose (yaw, pitch, roll) from face-mesh landmarks, by fitting MediaPipe's canonical
468-point face model.

Conventions (degrees, camera frame x right, y down, z away from the camera):
  yaw > 0: nose toward image right; pitch > 0: nose up; roll > 0: face turned clockwise.
  R = Ry(-yaw) @ Rx(-pitch) @ Rz(roll) maps the frontal model into the camera frame.

Why two fits (measured on faces rotated to known angles, see detectors.synthetic):
- yaw and roll come from a scaled-orthographic fit of the model to the 2D landmarks, leaving out
  the face-oval points (the mesh slides those along the silhouette). face_mesh's own depth is
  compressed, so a 3D fit reads yaw ~25% low (gain 0.78 in the spike); the 2D fit does not.
- pitch comes from a rigid 3D fit (Umeyama) to the landmarks including their depth: in 2D a
  nod mostly changes vertical spacing, which the fit confuses with face shape and reads ~25% low.
Never 6-point iterative solvePnP: it flips between mirror solutions.
face_mesh's landmarks still understate head turns: on rotated real faces the 2D fit's yaw gain
was 0.86-0.92 (astronaut) and 0.79-0.84 (grace_hopper, held out) for |yaw| <= 45 degrees, so
`head_pose` scales yaw by `yaw_gain`: the default 1.11 is the median over 22 people's faces
re-rendered at known turns (bench/realfaces/calibrate.py; per person 1.01-1.23). Pitch is
returned as measured: a bowed head reads short too (35-45° down read -25..-30° on real photos),
but the person's own level spreads -18°..+11°, so the pitch gain (1.1; renders of 22 people
read 0.92-1.41) is applied to the bow from the person's baseline, in detectors.judgement,
not to the absolute pitch.

The canonical model (canonical_face_model.npz) is MediaPipe's face geometry data,
Copyright The MediaPipe Authors, Apache License 2.0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float64]


def _load_model() -> tuple[Matrix, npt.NDArray[np.int32]]:
    with resources.files("detectors").joinpath("canonical_face_model.npz").open("rb") as fh:
        data = np.load(fh)
        # the model is in cm with y up and z toward the viewer; flip into the camera frame
        vertices = np.asarray(data["vertices"], np.float64) * np.array([1.0, -1.0, -1.0])
        triangles = np.asarray(data["triangles"], np.int32)
    return vertices, triangles


CANONICAL, TRIANGLES = _load_model()

# face-oval (silhouette) points of the 468-point mesh, from mediapipe's FACEMESH_FACE_OVAL
FACE_OVAL = (
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
    152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
)  # fmt: skip
INNER = np.array(sorted(set(range(468)) - set(FACE_OVAL)), np.intp)


@dataclass(frozen=True, slots=True)
class HeadPose:
    yaw: float
    pitch: float
    roll: float


def rotation(yaw: float = 0.0, pitch: float = 0.0, roll: float = 0.0) -> Matrix:
    a, b, c = np.radians([-yaw, -pitch, roll])
    ry = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    rz = np.array([[np.cos(c), -np.sin(c), 0], [np.sin(c), np.cos(c), 0], [0, 0, 1]])
    return np.asarray(ry @ rx @ rz, np.float64)


def euler(r: Matrix) -> HeadPose:
    """Inverse of `rotation`."""
    yaw = -math.degrees(math.atan2(r[0, 2], r[2, 2]))
    pitch = math.degrees(math.asin(max(-1.0, min(1.0, float(r[1, 2])))))
    roll = math.degrees(math.atan2(r[1, 0], r[1, 1]))
    return HeadPose(yaw, pitch, roll)


def fit_rigid(src: Matrix, dst: Matrix) -> tuple[float, Matrix, Matrix]:
    """Similarity (scale, R, t) minimising ||scale * R @ src + t - dst|| (Umeyama 1991)."""
    mu_s, mu_d = src.mean(axis=0), dst.mean(axis=0)
    s0, d0 = src - mu_s, dst - mu_d
    u, sig, vt = np.linalg.svd(d0.T @ s0 / len(src))
    e = np.eye(3)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        e[2, 2] = -1.0
    r = u @ e @ vt
    scale = float((sig * np.diag(e)).sum() / ((s0**2).sum() / len(src)))
    return scale, r, mu_d - scale * r @ mu_s


def fit_orthographic(model: Matrix, image: Matrix) -> Matrix:
    """Rotation of a scaled-orthographic projection of `model` (N,3) onto `image` (N,2)."""
    m0 = model - model.mean(axis=0)
    p0 = image - image.mean(axis=0)
    a, *_ = np.linalg.lstsq(m0, p0, rcond=None)  # p0 ~ m0 @ a, a is 3x2
    u, _, vt = np.linalg.svd(a.T, full_matrices=False)
    rows = u @ vt  # nearest pair of orthonormal rows
    r = np.vstack([rows, np.cross(rows[0], rows[1])])
    return np.asarray(r, np.float64)


def head_pose(lm: Matrix, yaw_gain: float = 1.0) -> HeadPose:
    """Absolute head pose from (>=468, 3) landmarks in pixels."""
    flat = euler(fit_orthographic(CANONICAL[INNER], lm[INNER, :2]))
    _, r3, _ = fit_rigid(CANONICAL[INNER], lm[INNER, :3])
    deep = euler(r3)
    return HeadPose(flat.yaw * yaw_gain, deep.pitch, flat.roll)
