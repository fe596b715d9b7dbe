"""Frames with a KNOWN head pose, made from a real face photo, for tests, the evaluation
harness and the scenario participants.

A frontal photo's face mesh (478 points with depth) is rotated about the head centre by the
wanted yaw/pitch, projected orthographically, and the photo's texture is re-warped triangle by
triangle (painted far to near, back-facing triangles dropped). A ring around the face and the
image border stay put, so hair and background stretch like a rubber sheet. The ground truth is
the applied rotation composed with the photo's own measured pose (`PosableFace.truth`).

Photos come from installed packages only (e.g. skimage.data.astronaut()); callers pass arrays,
nothing is read from or written to disk here.
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import mediapipe as mp  # GLOG quieted by detectors.graphs, imported by the package first
import numpy as np
import numpy.typing as npt

from detectors.pose import CANONICAL, FACE_OVAL, HeadPose, euler, fit_rigid, head_pose, rotation
from detectors.settings import DetectorSettings

Image = npt.NDArray[np.uint8]
Points = npt.NDArray[np.float64]
Canvas = tuple[int, int]  # height, width

_RING_SCALE = 1.45  # static ring at 1.45x the face-oval radius: hair and neck move less
_RING_POINTS = 48
_PAD = 64


def _photo_landmarks(rgb: Image) -> Points:
    solutions: Any = mp.solutions
    with solutions.face_mesh.FaceMesh(
        static_image_mode=True, max_num_faces=1, refine_landmarks=True
    ) as mesh:
        result = mesh.process(np.ascontiguousarray(rgb))
    if not result.multi_face_landmarks:
        raise ValueError("no face found in the photo")
    h, w = rgb.shape[:2]
    pts = [(p.x * w, p.y * h, p.z * w) for p in result.multi_face_landmarks[0].landmark]
    return np.asarray(pts, np.float64)


def _delaunay(points: Points, width: int, height: int) -> npt.NDArray[np.intp]:
    """Triangles as index triples (OpenCV's Subdiv2D works on coordinates, so map them back)."""
    sub = cv2.Subdiv2D((-_PAD, -_PAD, width + 2 * _PAD, height + 2 * _PAD))
    for x, y in points:
        sub.insert((float(x), float(y)))
    tris = np.asarray(sub.getTriangleList(), np.float64).reshape(-1, 3, 2)
    inside = (
        (tris[..., 0] >= -_PAD)
        & (tris[..., 0] <= width + _PAD)
        & (tris[..., 1] >= -_PAD)
        & (tris[..., 1] <= height + _PAD)
    ).all(axis=1)
    tris = tris[inside]
    flat = tris.reshape(-1, 2).astype(np.float64)
    d = ((flat[:, None, :] - points[None, :, :]) ** 2).sum(axis=2)
    return np.asarray(d.argmin(axis=1).reshape(-1, 3), np.intp)


def _pad(img: Image) -> Image:
    return np.asarray(
        cv2.copyMakeBorder(img, _PAD, _PAD, _PAD, _PAD, cv2.BORDER_REFLECT_101), np.uint8
    )


def _signed_area(p: Points) -> npt.NDArray[np.float64]:
    return np.asarray(
        (p[:, 1, 0] - p[:, 0, 0]) * (p[:, 2, 1] - p[:, 0, 1])
        - (p[:, 2, 0] - p[:, 0, 0]) * (p[:, 1, 1] - p[:, 0, 1]),
        np.float64,
    )


def _warp_triangle(src: Image, dst: Image, ts: Points, td: Points) -> None:
    r1 = cv2.boundingRect(ts.astype(np.float32))
    r2 = cv2.boundingRect(td.astype(np.float32))
    if min(r1[2], r1[3], r2[2], r2[3]) <= 0:
        return
    t1 = (ts - r1[:2]).astype(np.float32)
    t2 = (td - r2[:2]).astype(np.float32)
    patch = src[r1[1] : r1[1] + r1[3], r1[0] : r1[0] + r1[2]]
    warped = cv2.warpAffine(
        patch,
        cv2.getAffineTransform(t1, t2),
        (r2[2], r2[3]),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REFLECT_101,
    )
    mask = np.zeros((r2[3], r2[2]), np.uint8)
    corners = np.round(t2).astype(np.int32)
    cv2.fillConvexPoly(mask, corners, (255,))
    cv2.polylines(mask, [corners], True, (255,), 1)  # close hairline seams between neighbours
    roi = dst[r2[1] : r2[1] + r2[3], r2[0] : r2[0] + r2[2]]
    m = mask.astype(bool)[: roi.shape[0], : roi.shape[1]]
    roi[m] = warped[: roi.shape[0], : roi.shape[1]][m]


class PosableFace:
    """A frontal face photo that can be re-rendered at known head poses."""

    def __init__(self, photo_rgb: Image, yaw_gain: float = DetectorSettings().yaw_gain) -> None:
        """`yaw_gain` must match the detector's, so that the photo's own pose (part of the
        truth) is measured the way the detector measures."""
        photo = np.ascontiguousarray(photo_rgb[..., :3])
        self.photo = photo
        h, w = photo.shape[:2]
        self.landmarks = _photo_landmarks(photo)
        self.pose = head_pose(self.landmarks, yaw_gain)
        _, _, self._centre = fit_rigid(CANONICAL, self.landmarks[:468])
        oval = self.landmarks[list(FACE_OVAL), :2]
        self.face_width = float(oval[:, 0].max() - oval[:, 0].min())
        self.face_centre = oval.mean(axis=0)
        rel = oval - self.face_centre
        order = np.argsort(np.arctan2(rel[:, 1], rel[:, 0]))
        ang = np.linspace(0, 2 * np.pi, _RING_POINTS, endpoint=False)
        radius = np.interp(
            ang,
            np.arctan2(rel[:, 1], rel[:, 0])[order],
            np.linalg.norm(rel, axis=1)[order],
            period=2 * np.pi,
        )
        ring = self.face_centre + np.stack([np.cos(ang), np.sin(ang)], 1) * (
            radius[:, None] * _RING_SCALE
        )
        ring = np.clip(ring, [0, 0], [w - 1, h - 1])
        border = np.array(
            [(x, y) for x in np.linspace(0, w - 1, 5) for y in np.linspace(0, h - 1, 5)
             if x in (0, w - 1) or y in (0, h - 1)]
        )  # fmt: skip
        self._static = np.vstack([ring, border])
        self._triangles = _delaunay(np.vstack([self.landmarks[:, :2], self._static]), w, h)
        # the face area is inpainted first so that turning away uncovers skin-ish colour,
        # not a ghost of the original face
        mask = np.zeros((h, w), np.uint8)
        hull = np.asarray(cv2.convexHull(np.round(oval).astype(np.int32)), np.int32)
        cv2.fillConvexPoly(mask, hull, (255,))
        mask = np.asarray(cv2.dilate(mask, np.ones((9, 9), np.uint8)), np.uint8)
        self._base = np.asarray(cv2.inpaint(photo, mask, 9, cv2.INPAINT_TELEA), np.uint8)
        self._padded = _pad(photo)

    def truth(self, yaw: float, pitch: float, roll: float = 0.0) -> HeadPose:
        """The absolute pose a perfect detector would read on `render(yaw, pitch, roll)`."""
        p = self.pose
        return euler(rotation(yaw, pitch, roll) @ rotation(p.yaw, p.pitch, p.roll))

    def render(self, yaw: float, pitch: float, roll: float = 0.0) -> tuple[Image, Points]:
        """The photo with the head turned by (yaw, pitch, roll) degrees, and its landmarks."""
        h, w = self.photo.shape[:2]
        lm = self.landmarks
        moved = (lm - self._centre) @ rotation(yaw, pitch, roll).T + self._centre
        src = np.asarray(np.vstack([lm[:, :2], self._static]) + _PAD, np.float64)
        dst = np.asarray(np.vstack([moved[:, :2], self._static]) + _PAD, np.float64)
        n_static = len(self._static)
        depth = np.concatenate([moved[:, 2], np.full(n_static, np.inf)])
        tris = self._triangles
        a_src, a_dst = _signed_area(src[tris]), _signed_area(dst[tris])
        keep = (np.sign(a_src) == np.sign(a_dst)) & (np.abs(a_dst) > 1e-3)
        # static triangles first (infinitely far), then the face from back to front
        order = np.argsort(-depth[tris].mean(axis=1), kind="stable")
        out = _pad(self._base)
        for k in order:
            if keep[k]:
                _warp_triangle(self._padded, out, src[tris[k]], dst[tris[k]])
        return np.ascontiguousarray(out[_PAD : _PAD + h, _PAD : _PAD + w]), moved

    def frame(
        self,
        yaw: float,
        pitch: float,
        size_px: int,
        canvas: Canvas = (360, 640),
        *,
        roll: float = 0.0,
        centre: tuple[float, float] = (0.5, 0.45),
    ) -> Image:
        """A webcam-like frame: the rendered photo scaled so the (frontal) face is `size_px`
        wide, its face at `centre` (fractions of the canvas), on a plain wall elsewhere."""
        img, _ = self.render(yaw, pitch, roll)
        return place(img, self.face_centre, size_px / self.face_width, canvas, centre)


def place(
    img: Image,
    anchor: Points,
    scale: float,
    canvas: Canvas = (360, 640),
    centre: tuple[float, float] = (0.5, 0.45),
) -> Image:
    """Scale `img` and put its point `anchor` at `centre` of a wall-coloured canvas."""
    ch, cw = canvas
    out = wall(canvas)
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    h, w = img.shape[:2]
    sw, sh = max(1, round(w * scale)), max(1, round(h * scale))
    scaled = cv2.resize(img, (sw, sh), interpolation=interp)
    ox = round(centre[0] * cw - anchor[0] * scale)
    oy = round(centre[1] * ch - anchor[1] * scale)
    x0, y0 = max(ox, 0), max(oy, 0)
    x1, y1 = min(ox + sw, cw), min(oy + sh, ch)
    if x1 > x0 and y1 > y0:
        out[y0:y1, x0:x1] = scaled[y0 - oy : y1 - oy, x0 - ox : x1 - ox]
    return out


def letterbox(img: Image, canvas: Canvas = (360, 640)) -> Image:
    """Fit a whole photo into the canvas (for no-person photos such as coffee or chelsea)."""
    h, w = img.shape[:2]
    scale = min(canvas[0] / h, canvas[1] / w)
    return place(img, np.array([w / 2, h / 2]), scale, canvas, (0.5, 0.5))


def wall(canvas: Canvas = (360, 640), seed: int = 0) -> Image:
    """A plain room wall: a soft vertical gradient with mild sensor noise."""
    rng = np.random.default_rng(seed)
    h, w = canvas
    shade = np.linspace(150, 110, h)[:, None, None] * np.array([1.0, 0.97, 0.9])
    noisy = shade + rng.normal(0, 2.0, (h, w, 3))
    return np.clip(np.broadcast_to(noisy, (h, w, 3)), 0, 255).astype(np.uint8)


def empty_chair(canvas: Canvas = (360, 640), seed: int = 0) -> Image:
    """A wall, a desk edge and an office chair back: a camera on, nobody there."""
    out = wall(canvas, seed)
    h, w = canvas
    cv2.rectangle(out, (0, int(h * 0.82)), (w, h), (96, 72, 50), -1)  # desk
    cx = w // 2
    cv2.rectangle(out, (cx - w // 8, int(h * 0.35)), (cx + w // 8, int(h * 0.82)), (35, 35, 40), -1)
    cv2.rectangle(
        out, (int(w * 0.72), int(h * 0.1)), (int(w * 0.9), int(h * 0.4)), (70, 110, 60), -1
    )
    return out


def black(canvas: Canvas = (360, 640)) -> Image:
    return np.zeros((*canvas, 3), np.uint8)


def grey(canvas: Canvas = (360, 640), level: int = 128) -> Image:
    return np.full((*canvas, 3), level, np.uint8)


def noise(canvas: Canvas = (360, 640), seed: int = 0) -> Image:
    """What a broken decoder or an unplugged capture card shows."""
    return np.random.default_rng(seed).integers(0, 256, (*canvas, 3), dtype=np.uint8)


def darken(img: Image, gamma: float = 2.2, gain: float = 0.6) -> Image:
    """An underexposed webcam in a dim room: gamma curve and lower gain."""
    lut = np.clip(255.0 * gain * (np.arange(256) / 255.0) ** gamma, 0, 255).astype(np.uint8)
    return np.asarray(cv2.LUT(img, lut), np.uint8)


def backlight(img: Image, gamma: float = 1.8) -> Image:
    """A window behind the person: the face underexposed, the upper background blown out."""
    out = darken(img, gamma, 0.7).astype(np.float32)
    h, w = img.shape[:2]
    glow = np.zeros((h, w), np.float32)
    glow[: h // 3, :] = 1.0
    glow[:, : w // 6] = 1.0
    glow[:, -w // 6 :] = 1.0
    soft = np.asarray(cv2.GaussianBlur(glow, (0, 0), max(1.0, w / 40)), np.float32)[..., None]
    return np.asarray(np.clip(out * (1 - soft) + 245.0 * soft, 0, 255), np.uint8)


def blur(img: Image, sigma: float = 2.0) -> Image:
    """Out of focus or motion-smeared."""
    return np.asarray(cv2.GaussianBlur(img, (0, 0), sigma), np.uint8)


def render_pose(
    face_rgb: Image, yaw_deg: float, pitch_deg: float, size_px: int, canvas: Canvas = (360, 640)
) -> Image:
    """One-off convenience; build a `PosableFace` once when rendering many poses."""
    return PosableFace(face_rgb).frame(yaw_deg, pitch_deg, size_px, canvas)


def yaw_pitch_grid(limit: float = 60.0, step: float = 15.0) -> list[tuple[float, float]]:
    """Poses along both axes and the diagonals: yaw and pitch in [-limit, limit]."""
    n = math.floor(limit / step)
    axis = [k * step for k in range(-n, n + 1)]
    poses = {(y, 0.0) for y in axis} | {(0.0, p) for p in axis}
    poses |= {(d, d * s) for d in axis for s in (1, -1) if abs(d) <= 30}
    return sorted(poses)
