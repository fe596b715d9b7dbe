"""One participant's detector: frame in, `Reading` out.

Order of the checks, cheapest first: no frame for a while, no usable picture (black, uniform,
noise), a frozen picture, then faces. Bad input never raises: it is an `unknown` reading with
a reason, so one participant's broken stream cannot stop a meeting.
"""

from __future__ import annotations

import dataclasses
from types import TracebackType

import cv2
import numpy as np
import numpy.typing as npt

from detectors.baseline import Baseline
from detectors.faces import FaceFinder, FaceSearch
from detectors.frame_quality import FreezeWatch, assess, thumbnail
from detectors.gaze import eye_direction, eyes_shut
from detectors.judgement import explain, judge, limits
from detectors.plausibility import assess_fit
from detectors.pose import head_pose
from detectors.reading import Reading, Verdict
from detectors.settings import DetectorSettings

# The smallest picture side judged at all; a smaller picture is a bad_frame (meetbot analyze and
# detect refuse such a file up front: nothing in it can be judged).
MIN_SIDE = 16
# below this face width pose gets noisy (a few px of landmark error are degrees): lower confidence
_FULL_CONFIDENCE_FACE_PX = 64.0


class Detector:
    """Stateful per participant (where the face was, frozen-picture timer, baseline); the
    mediapipe graphs belong to the calling thread (detectors.graphs), so a Detector is small.

    Not thread-safe: one instance per participant and one `observe` call in flight.
    """

    def __init__(self, settings: DetectorSettings = DetectorSettings()) -> None:  # noqa: B008
        self.settings = settings
        self._faces: FaceFinder | None = FaceFinder(settings)
        self._freeze = FreezeWatch(settings)
        self._baseline = Baseline(settings)
        self._started_at: float | None = None
        self._last_frame_at: float | None = None
        self._last: Reading | None = None

    # --- lifetime ---
    def close(self) -> None:
        if self._faces is not None:
            self._faces.close()
            self._faces = None

    def __enter__(self) -> Detector:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def baseline_ready(self) -> bool:
        return self._baseline.ready

    # --- the one entry point ---
    def observe(
        self, frame: npt.NDArray[np.uint8] | None, at: float, *, speaking: bool = False
    ) -> Reading:
        """Judge `frame` (RGB uint8, HxWx3, any size) taken at `at` seconds. `None` means no
        new frame arrived since the last call. `speaking` lets the baseline learn."""
        if self._started_at is None:
            self._started_at = at
        if frame is None:
            reading = self._no_frame(at)
        else:
            self._last_frame_at = at
            reading = self._judge(frame, at, speaking)
        self._last = reading
        return reading

    def _no_frame(self, at: float) -> Reading:
        since = self._last_frame_at if self._last_frame_at is not None else self._started_at
        assert since is not None
        if at - since >= self.settings.no_frame_timeout_s:
            return Reading(at, Verdict.CAMERA_OFF, 1.0, reason="no_frames")
        if self._last is None or self._last.reason == "waiting_for_frames":
            return Reading(at, Verdict.UNKNOWN, 0.0, reason="waiting_for_frames")
        # a gap shorter than the timeout: the last picture still stands
        return dataclasses.replace(self._last, at=at)

    def _judge(self, frame: npt.NDArray[np.uint8], at: float, speaking: bool) -> Reading:
        rgb = self._prepare(frame)
        if rgb is None:
            return Reading(at, Verdict.UNKNOWN, 0.0, reason="bad_frame")
        if self._faces is None:
            return Reading(at, Verdict.UNKNOWN, 0.0, reason="closed")
        thumb = thumbnail(rgb)
        quality = assess(thumb, self.settings)
        frozen = self._freeze.update(thumb, at)
        if quality.problem:
            return Reading(at, Verdict.CAMERA_OFF, 1.0, reason=quality.problem)
        if frozen:
            return Reading(at, Verdict.CAMERA_OFF, 0.9, reason="frozen")
        try:
            search = self._faces.find(rgb)
        except Exception:  # a model failure is this person's unknown reading, never a crash
            return Reading(at, Verdict.UNKNOWN, 0.0, reason="detector_error")
        if search.count == 0:
            if quality.dark:
                return Reading(at, Verdict.CAMERA_OFF, 0.7, reason="too_dark")
            return Reading(at, Verdict.ABSENT, 0.9, reason="no_face")
        return self.judge_face(search, at, speaking)

    def _prepare(self, frame: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8] | None:
        if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8:
            return None
        if frame.ndim == 2:
            frame = np.asarray(cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB), np.uint8)
        if frame.ndim != 3 or frame.shape[2] != 3 or min(frame.shape[:2]) < MIN_SIDE:
            return None
        h, w = frame.shape[:2]
        if w > self.settings.max_width:
            size = (self.settings.max_width, max(MIN_SIDE, round(h * self.settings.max_width / w)))
            frame = np.asarray(cv2.resize(frame, size, interpolation=cv2.INTER_AREA), np.uint8)
        return np.ascontiguousarray(frame)

    def judge_face(self, search: FaceSearch, at: float, speaking: bool = False) -> Reading:
        """Judge the face `FaceFinder.find` found in the frame taken at `at` (after the
        whole-frame checks; `observe` is the entry point, this is its last step)."""
        s = self.settings
        assert search.box is not None
        face_px = round(search.box[2])
        base = Reading(at, Verdict.UNKNOWN, 0.0, faces=search.count, face_px=face_px)
        lm = search.landmarks
        if lm is None:
            if face_px < s.min_face_px:
                return dataclasses.replace(base, reason="face_too_small")
            if search.score < s.min_face_score:
                # weak detections the mesh cannot confirm are mostly not faces (a coffee cup
                # after VP8 scored 0.62); a real profile usually scores higher
                return Reading(at, Verdict.ABSENT, 0.6, reason="no_face")
            # the detector sees a face the mesh cannot fit: a head turned far to the side
            conf = min(0.8, search.score)
            return dataclasses.replace(
                base, verdict=Verdict.LOOKING_AWAY, confidence=conf, reason="turned_away"
            )
        pose = head_pose(lm, s.yaw_gain)
        gaze = eye_direction(lm)
        # judged against what was learned BEFORE this frame: a frame never excuses itself
        rest, baseline_text = self._baseline.value, self._baseline.describe()
        fit = assess_fit(search.score, gaze, rest.gaze_yaw, pose.roll, s)
        measured = dataclasses.replace(
            base, yaw=pose.yaw, pitch=pose.pitch, roll=pose.roll, gaze=gaze,
            baseline_ready=self._baseline.ready,
        )  # fmt: skip
        if not fit.plausible:
            # a mesh on hair or an ear: a person turned away when the detector is sure someone
            # is there, otherwise nothing can be said; never learned into the baseline
            lim = limits(s, self._baseline.ready)
            why = explain(None, gaze, baseline_text, fit.describe(), lim, s)
            if fit.person_there:
                return dataclasses.replace(
                    measured, verdict=Verdict.LOOKING_AWAY, confidence=0.6,
                    reason="implausible_fit", why=why,
                )  # fmt: skip
            return dataclasses.replace(measured, reason="implausible_fit", why=why)
        learned = self._baseline.ready
        shut = gaze is None and eyes_shut(lm)
        j = judge(
            pose.yaw, pose.pitch, gaze, rest, self._baseline.facing, s, learned=learned, shut=shut
        )
        lim = limits(s, learned)
        self._baseline.learn(at, pose.yaw, pose.pitch, gaze, speaking=speaking)
        # the ratio that decided: the line of sight when the eyes excused the head
        ratio = j.sight_ratio if j.reason == "eyes_on_screen" and j.sight_ratio else j.head_ratio
        # confident far from the threshold, on large faces, and once the baseline is learned
        conf = 0.5 + min(0.5, abs(ratio - 1.0))
        conf *= min(1.0, max(0.6, face_px / _FULL_CONFIDENCE_FACE_PX))
        conf *= 1.0 if measured.baseline_ready else 0.85
        return dataclasses.replace(
            measured,
            verdict=Verdict.LOOKING_AWAY if j.away else Verdict.ENGAGED,
            confidence=round(conf, 3),
            reason=j.reason,
            offset_yaw=j.head_yaw,
            offset_pitch=j.head_pitch,
            why=explain(j, gaze, baseline_text, fit.describe(), lim, s),
        )
