"""The direction a person looks when they look at the meeting.

Webcams sit off-centre (above a laptop, beside a second monitor), so "looking at the screen" is
a constant head offset that differs per person. The baseline is the median pose of samples taken
while the person speaks (people face the meeting during their own turn) and during the first
minutes after their face appears. Samples turned further than `baseline_max_offset_deg` are
ignored, so someone who starts the meeting turned away does not teach that as the norm.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from detectors.settings import DetectorSettings


@dataclass(frozen=True, slots=True)
class Offsets:
    yaw: float
    pitch: float
    gaze_yaw: float
    gaze_pitch: float


_ZERO = Offsets(0.0, 0.0, 0.0, 0.0)


class Baseline:
    def __init__(self, settings: DetectorSettings) -> None:
        self._s = settings
        self._poses: deque[tuple[float, float]] = deque(maxlen=settings.baseline_max_samples)
        self._gazes: deque[tuple[float, float]] = deque(maxlen=settings.baseline_max_samples)
        self._first_face_at: float | None = None
        self._value = _ZERO

    @property
    def ready(self) -> bool:
        return len(self._poses) >= self._s.baseline_min_samples

    @property
    def value(self) -> Offsets:
        """The learned offsets, or straight at the camera until enough samples arrived."""
        return self._value if self.ready else _ZERO

    def learn(
        self,
        at: float,
        yaw: float,
        pitch: float,
        gaze: tuple[float, float] | None,
        *,
        speaking: bool,
    ) -> None:
        if self._first_face_at is None:
            self._first_face_at = at
        early = at - self._first_face_at <= self._s.baseline_seconds
        limit = self._s.baseline_max_offset_deg
        if not (speaking or early) or abs(yaw) > limit or abs(pitch) > limit:
            return
        self._poses.append((yaw, pitch))
        if gaze is not None:
            self._gazes.append(gaze)
        py, pp = np.median(np.asarray(self._poses), axis=0)
        gy, gp = np.median(np.asarray(self._gazes), axis=0) if self._gazes else (0.0, 0.0)
        self._value = Offsets(float(py), float(pp), float(gy), float(gp))
