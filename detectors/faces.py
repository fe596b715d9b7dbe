"""Finding faces and their 478 landmarks with mediapipe's bundled models.

Fast path: face_mesh in tracking mode on the whole frame (after the first frame it follows the
face from the previous landmarks and skips detection); every few frames the full-range detector
recounts the faces. face_mesh's own detector misses faces under ~60-70 px in a 640x360 frame,
so when the mesh finds nothing the detectors look for small faces and face_mesh runs again on a
square crop around the main one, scaled up (~15 ms on that path, measured on one core).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from detectors.settings import DetectorSettings

# mediapipe's C++ side logs every graph start to stderr; keep a participant's console readable.
os.environ.setdefault("GLOG_minloglevel", "2")
import mediapipe as mp

Landmarks = npt.NDArray[np.float64]  # (478, 3) pixels: x right, y down, z away (scale of x)
Box = tuple[float, float, float, float]  # x, y, width, height in frame pixels


@dataclass(frozen=True, slots=True)
class FaceSearch:
    """What the face models found in one frame."""

    count: int  # faces seen by any model
    box: Box | None = None  # the main face
    score: float = 0.0  # detector confidence of the main face (1.0 when the mesh tracked it)
    landmarks: Landmarks | None = None  # None: a face was detected but the mesh could not fit it
    path: str = ""  # "mesh", "crop" or "detector" - which route found the main face


def _boxes(result: Any, w: int, h: int) -> list[tuple[Box, float]]:
    out = []
    for d in result.detections or []:
        b = d.location_data.relative_bounding_box
        out.append(((b.xmin * w, b.ymin * h, b.width * w, b.height * h), float(d.score[0])))
    return out


def _landmarks(result: Any, w: int, h: int) -> Landmarks | None:
    faces = result.multi_face_landmarks
    if not faces:
        return None
    # mediapipe z is relative depth with roughly the scale of x, so it is scaled by the width
    pts = [(p.x * w, p.y * h, p.z * w) for p in faces[0].landmark]
    return np.asarray(pts, dtype=np.float64)


def _overlaps(a: Box, b: Box) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    ix = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    iy = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    return ix * iy > 0.3 * min(aw * ah, bw * bh)


def landmark_box(lm: Landmarks) -> Box:
    x0, y0 = lm[:468, :2].min(axis=0)
    x1, y1 = lm[:468, :2].max(axis=0)
    return float(x0), float(y0), float(x1 - x0), float(y1 - y0)


def square_crop(
    rgb: npt.NDArray[np.uint8], box: Box, size: int
) -> tuple[npt.NDArray[np.uint8], float, float, float]:
    """A size x size crop of twice the box around its centre (face_mesh wants context around
    the face), zero-padded at the frame edges. Returns the crop and its origin and scale."""
    x, y, w, h = box
    side = max(2.0 * max(w, h), 8.0)
    x0, y0 = x + w / 2 - side / 2, y + h / 2 - side / 2
    ix0, iy0, iside = round(x0), round(y0), max(1, round(side))
    canvas = np.zeros((iside, iside, 3), np.uint8)
    fh, fw = rgb.shape[:2]
    sx0, sy0 = max(ix0, 0), max(iy0, 0)
    sx1, sy1 = min(ix0 + iside, fw), min(iy0 + iside, fh)
    if sx1 > sx0 and sy1 > sy0:
        canvas[sy0 - iy0 : sy1 - iy0, sx0 - ix0 : sx1 - ix0] = rgb[sy0:sy1, sx0:sx1]
    interp = cv2.INTER_CUBIC if iside < size else cv2.INTER_AREA
    crop = cv2.resize(canvas, (size, size), interpolation=interp)
    return np.ascontiguousarray(crop), float(ix0), float(iy0), iside / size


class FaceFinder:
    """Per-participant mediapipe graphs (tracking state is per person, so never share one)."""

    def __init__(self, settings: DetectorSettings) -> None:
        self._s = settings
        solutions: Any = mp.solutions
        self._solutions = solutions
        self._short = solutions.face_detection.FaceDetection(
            model_selection=0, min_detection_confidence=settings.detection_confidence
        )
        self._mesh = solutions.face_mesh.FaceMesh(
            static_image_mode=False,
            max_num_faces=1,
            refine_landmarks=settings.refine_iris,
            min_detection_confidence=settings.detection_confidence,
            min_tracking_confidence=0.5,
        )
        # the slow path's graphs cost ~30 MiB; most participants never need them
        self._full: Any = None
        self._crop_mesh: Any = None
        # other people in the tile come and go slowly: while the mesh tracks the main face, the
        # full-range detector (the short-range one misses faces under ~80 px, e.g. someone
        # behind the speaker) recounts them every count_every_frames frames, not every frame
        self._since_count = settings.count_every_frames
        self._others = 0

    def close(self) -> None:
        for graph in (self._short, self._mesh, self._full, self._crop_mesh):
            if graph is not None:
                graph.close()
        self._full = self._crop_mesh = None

    def find(self, rgb: npt.NDArray[np.uint8]) -> FaceSearch:
        h, w = rgb.shape[:2]
        lm = _landmarks(self._mesh.process(rgb), w, h)
        self._since_count += 1
        if lm is not None:
            box = landmark_box(lm)
            if self._since_count >= self._s.count_every_frames:
                self._since_count = 0
                self._others = sum(
                    1
                    for b, score in self._full_range(rgb)
                    if score >= self._s.min_face_score and not _overlaps(b, box)
                )
            return FaceSearch(1 + self._others, box, 1.0, lm, "mesh")
        # the main face is lost: recount as soon as the mesh finds one again
        self._since_count, self._others = self._s.count_every_frames, 0
        dets = _boxes(self._short.process(rgb), w, h) or self._full_range(rgb)
        if not dets:
            return FaceSearch(0)
        box, score = max(dets, key=lambda d: d[0][2] * d[0][3] * d[1])
        if box[2] < self._s.min_face_px:
            return FaceSearch(len(dets), box, score, None, "detector")
        return FaceSearch(len(dets), box, score, self._crop_landmarks(rgb, box), "crop")

    def _full_range(self, rgb: npt.NDArray[np.uint8]) -> list[tuple[Box, float]]:
        if self._full is None:
            self._full = self._solutions.face_detection.FaceDetection(
                model_selection=1, min_detection_confidence=self._s.detection_confidence
            )
        h, w = rgb.shape[:2]
        return _boxes(self._full.process(rgb), w, h)

    def _crop_landmarks(self, rgb: npt.NDArray[np.uint8], box: Box) -> Landmarks | None:
        if self._crop_mesh is None:
            self._crop_mesh = self._solutions.face_mesh.FaceMesh(
                static_image_mode=True,
                max_num_faces=1,
                refine_landmarks=self._s.refine_iris,
                min_detection_confidence=self._s.detection_confidence,
            )
        size = self._s.crop_size_px
        crop, x0, y0, scale = square_crop(rgb, box, size)
        lm = _landmarks(self._crop_mesh.process(crop), size, size)
        if lm is None:
            return None
        # back to frame pixels; z shares the x scale
        return np.asarray(lm * scale + np.array([x0, y0, 0.0]), np.float64)
