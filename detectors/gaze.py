"""Where the eyes point inside the head, from the iris landmarks (refine_landmarks=True).

A secondary signal: head pose says where the face points, the irises say whether the eyes
compensate (a head turned toward a side monitor with the eyes back on the meeting). Iris
positions are noisy on small faces and half-closed eyes, so the result is None there.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float64]

# (image-left corner, image-right corner, upper lid, lower lid) of each eye
_EYES = ((33, 133, 159, 145), (362, 263, 386, 374))
_IRIS_CENTRES = (468, 473)
# the iris centre moves ~0.4 eye widths per radian of eye rotation (eyeball radius ~ 0.4 width)
_SHIFT_PER_RADIAN = 0.40
_MIN_OPENNESS = 0.12  # lid gap / eye width below this: blinking or squinting, iris unreliable
MIN_EYE_PX = 8.0  # narrower eyes than this give iris positions accurate to a few px only


def _eye_ratios(lm: Matrix, eye: tuple[int, int, int, int], iris: Matrix) -> tuple[float, ...]:
    c0, c1, top, bottom = (lm[i, :2] for i in eye)
    axis = c1 - c0
    width = float(np.linalg.norm(axis))
    u = axis / width
    n = np.array([-u[1], u[0]])  # perpendicular, image-down for a level eye
    h = float(np.dot(iris - c0, u)) / width
    lid_top, lid_bottom = float(np.dot(top - c0, n)), float(np.dot(bottom - c0, n))
    gap = lid_bottom - lid_top
    v = (float(np.dot(iris - c0, n)) - lid_top) / gap if gap > 1e-6 else 0.5
    return h, v, gap / width, width


def _both_eyes(lm: Matrix) -> tuple[float, float, float, float]:
    """(h, v, openness) averaged over both eyes, and the narrower eye's width in px."""
    ratios = []
    for eye in _EYES:
        centre = (lm[eye[0], :2] + lm[eye[1], :2]) / 2
        # the two iris blocks' order is not tied to image sides; take the nearer one
        iris = min(
            (lm[i, :2] for i in _IRIS_CENTRES), key=lambda p: float(np.linalg.norm(p - centre))
        )
        ratios.append(_eye_ratios(lm, eye, iris))
    h = sum(r[0] for r in ratios) / 2
    v = sum(r[1] for r in ratios) / 2
    openness = sum(r[2] for r in ratios) / 2
    return h, v, openness, min(r[3] for r in ratios)


def eyes_shut(lm: Matrix) -> bool:
    """Eyes wide enough to read whose lids are (nearly) shut: a blink, a laugh, or lids lowered
    over a phone or notes. Eyes too small to read are not shut: nothing is known of them."""
    if len(lm) < 478:
        return False
    _, _, openness, width = _both_eyes(lm)
    return width >= MIN_EYE_PX and openness < _MIN_OPENNESS


def eye_direction(lm: Matrix) -> tuple[float, float] | None:
    """(yaw, pitch) of the eyes relative to the head in degrees, same signs as head pose."""
    if len(lm) < 478:
        return None
    h, v, openness, width = _both_eyes(lm)
    if openness < _MIN_OPENNESS or width < MIN_EYE_PX:
        return None

    def angle(shift: float) -> float:
        return math.degrees(math.asin(max(-1.0, min(1.0, shift / _SHIFT_PER_RADIAN))))

    # v is in lid gaps; times openness it is in eye widths like h. Lids cover the top of the
    # iris, so v=0.5 is only roughly straight ahead: the per-person baseline absorbs that.
    return angle(h - 0.5), angle((0.5 - v) * openness)
