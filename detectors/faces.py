"""Finding faces and their 478 landmarks with mediapipe's bundled models.

Fast path: follow the face. The person's previous landmarks give a region (`landmark_roi`,
mediapipe's own tracking rule) and face_mesh's landmark stage runs on that region alone, with
no detector (~4.5 ms per 640x360 frame on one core); every few frames the full-range detector
recounts the faces. When the face is not in the region (first sight, a jump, someone left) the
detectors search the whole frame, and face_mesh runs on a square crop around the main face,
scaled up, since face_mesh's own detector misses faces under ~60-70 px. The next frame follows
from what that found, so small faces take the fast path too.

Memory: every graph is stateless per call and shared by everyone judged on the same thread
(`thread_graphs`): a person keeps only the five floats of their region, so 48 people cost
about what one does (bench/detectors_memory.py: ~26 -> ~0 MiB per person). `face_tracking`
brings back a tracking face_mesh per person (FaceMesh's tracking mode remembers the region
inside the graph, so such a graph can never be shared).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from mediapipe.framework.formats import rect_pb2

from detectors import graphs
from detectors.graphs import thread_graphs
from detectors.settings import DetectorSettings

Landmarks = npt.NDArray[np.float64]  # (478, 3) pixels: x right, y down, z away (scale of x)
Box = tuple[float, float, float, float]  # x, y, width, height in frame pixels
Roi = tuple[float, float, float, float, float]  # x/y centre, width, height (frame = 1), rotation


@dataclass(frozen=True, slots=True)
class FaceSearch:
    """What the face models found in one frame."""

    count: int  # faces seen by any model
    box: Box | None = None  # the main face
    # detector confidence of the main face; while the mesh follows it, from the latest recount
    score: float = 0.0
    landmarks: Landmarks | None = None  # None: a face was detected but the mesh could not fit it
    # which route found the main face: "mesh" (followed from the last frame), "crop" (detected,
    # then fitted on a crop) or "detector" (too small to fit)
    path: str = ""


def _boxes(result: Any, w: int, h: int) -> list[tuple[Box, float]]:
    out = []
    for d in result.detections or []:
        b = d.location_data.relative_bounding_box
        out.append(((b.xmin * w, b.ymin * h, b.width * w, b.height * h), float(d.score[0])))
    return out


def _pixels(found: Any, w: int, h: int) -> Landmarks:
    # mediapipe z is relative depth with roughly the scale of x, so it is scaled by the width
    return np.asarray([(p.x * w, p.y * h, p.z * w) for p in found.landmark], dtype=np.float64)


def _landmarks(result: Any, w: int, h: int) -> Landmarks | None:
    faces = result.multi_face_landmarks
    return _pixels(faces[0], w, h) if faces else None


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


def landmark_roi(lm: Landmarks, w: int, h: int) -> Roi:
    """Where to look for this face in the next frame: mediapipe's own tracking rule
    (FaceLandmarkLandmarksToRoi) - the landmarks' box, squared and enlarged 1.5x, turned so the
    outer eye corners (33, 263) are level - normalised to a w x h frame."""
    x0, y0, bw, bh = landmark_box(lm)
    side = 1.5 * max(bw, bh)
    dx, dy = lm[263, 0] - lm[33, 0], lm[263, 1] - lm[33, 1]
    rotation = -math.atan2(-dy, dx)
    return (x0 + bw / 2) / w, (y0 + bh / 2) / h, side / w, side / h, rotation


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
    """One participant's face search. By default it owns no graph: it remembers where the face
    was (`landmark_roi`, five floats) and finds it there again with the calling thread's shared
    landmark graph, the way face_mesh's tracking mode does, falling back to the detectors when
    the face is not there. With `face_tracking` it owns a tracking face_mesh instead (~25 MB per
    person; its remembered landmarks are this person's, so it is never shared).
    Not thread-safe: one call at a time, on any thread."""

    def __init__(self, settings: DetectorSettings) -> None:
        self._s = settings
        self._mesh: Any = None
        if settings.face_tracking:
            self._mesh = graphs.tracking_mesh(settings.refine_iris, settings.detection_confidence)
        self._roi: Roi | None = None  # where the main face was in the previous frame
        # other people in the tile come and go slowly: while the main face is followed, the
        # full-range detector (the short-range one misses faces under ~80 px, e.g. someone
        # behind the speaker) recounts them every count_every_frames frames, not every frame
        self._since_count = settings.count_every_frames
        self._others = 0
        self._score = 0.0  # the detector's latest confidence for the main face

    def close(self) -> None:
        """Forget this person (and release their tracking mesh, if any); the shared graphs
        stay with their thread."""
        self._roi = None
        if self._mesh is not None:
            self._mesh.close()
            self._mesh = None

    def find(self, rgb: npt.NDArray[np.uint8]) -> FaceSearch:
        h, w = rgb.shape[:2]
        # forgotten until this frame finds the face again: a region that made the graph fail
        # is not tried on every later frame
        roi, self._roi = self._roi, None
        lm = self._follow(rgb, roi)
        self._since_count += 1
        if lm is not None:
            self._roi = landmark_roi(lm, w, h)
            box = landmark_box(lm)
            if self._since_count >= self._s.count_every_frames:
                self._since_count = 0
                found = self._full_range(rgb)
                self._others = sum(
                    1
                    for b, score in found
                    if score >= self._s.min_face_score and not _overlaps(b, box)
                )
                # what the detector thinks of the face the mesh follows: a mesh that slid onto
                # the back of a turning head keeps following it, the detector does not
                self._score = max((score for b, score in found if _overlaps(b, box)), default=0.0)
            return FaceSearch(1 + self._others, box, self._score, lm, "mesh")
        # the main face is lost: recount as soon as it is found again
        self._since_count, self._others = self._s.count_every_frames, 0
        dets = self._detect(0, rgb) or self._full_range(rgb)
        if not dets:
            return FaceSearch(0)
        box, score = max(dets, key=lambda d: d[0][2] * d[0][3] * d[1])
        if box[2] < self._s.min_face_px:
            return FaceSearch(len(dets), box, score, None, "detector")
        lm = self._crop_landmarks(rgb, box)
        self._score = score
        if lm is not None:
            # the next frame looks where this one found the face (a tracking mesh ignores it:
            # it only follows faces its own detector found)
            self._roi = landmark_roi(lm, w, h)
        return FaceSearch(len(dets), box, score, lm, "crop")

    def _follow(self, rgb: npt.NDArray[np.uint8], roi: Roi | None) -> Landmarks | None:
        """The main face's landmarks, looked for where it was in the previous frame."""
        h, w = rgb.shape[:2]
        if self._mesh is not None:
            return _landmarks(self._mesh.process(rgb), w, h)
        if roi is None:
            return None
        x, y, width, height, rotation = roi
        region = rect_pb2.NormalizedRect(
            x_center=x, y_center=y, width=width, height=height, rotation=rotation
        )
        found = (
            thread_graphs()
            .process(graphs.roi_mesh(self._s.refine_iris), {"image": rgb, "roi": region})
            .face_landmarks
        )
        return None if found is None else _pixels(found, w, h)

    def _detect(self, model: int, rgb: npt.NDArray[np.uint8]) -> list[tuple[Box, float]]:
        """Faces found by the short-range (model 0) or full-range (model 1) detector."""
        h, w = rgb.shape[:2]
        detector = graphs.face_detector(model, self._s.detection_confidence)
        return _boxes(thread_graphs().process(detector, rgb), w, h)

    def _full_range(self, rgb: npt.NDArray[np.uint8]) -> list[tuple[Box, float]]:
        # the short-range detector misses faces under ~80 px, e.g. someone behind the speaker
        return self._detect(1, rgb)

    def _crop_landmarks(self, rgb: npt.NDArray[np.uint8], box: Box) -> Landmarks | None:
        size = self._s.crop_size_px
        crop, x0, y0, scale = square_crop(rgb, box, size)
        mesh = graphs.crop_mesh(self._s.refine_iris, self._s.detection_confidence)
        lm = _landmarks(thread_graphs().process(mesh, crop), size, size)
        if lm is None:
            return None
        # back to frame pixels; z shares the x scale
        return np.asarray(lm * scale + np.array([x0, y0, 0.0]), np.float64)
