"""The direction a person looks when they look at the meeting.

Webcams sit off-centre (above a laptop, beside a second monitor), so "looking at the screen" is
a constant head offset that differs per person. The baseline is learned from that person's own
samples, and built so that it cannot be taught the wrong thing:
- robust: a trimmed mean per axis, so a few glances, sneezes or misfits do not move it;
- never from the frame being judged: the detector reads `value` first and calls `learn` after,
  so a single frame can never excuse itself;
- speaking samples count `baseline_speaking_weight` times (people face the meeting during their
  own turn); silent samples are learned only in the first `baseline_seconds` and only when the
  head is not pitched beyond the threshold: someone who spends their first minutes on their
  phone does not make that their norm;
- capped: however it was taught, the baseline stays within `baseline_max_drift_deg` (yaw) and
  `pitch_threshold_deg` * 0.75 (pitch) of facing the camera, so "looking at the meeting" can never
  become "looking at the desk".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from detectors.settings import DetectorSettings

# a screen sits at most a little below or above its webcam; a phone on the desk does not
_PITCH_DRIFT_SHARE = 0.75
# eyes at rest look roughly along the head; a learned eye offset beyond this is iris misfit
_GAZE_DRIFT_DEG = 15.0
# once learned, one sample barely moves a trimmed mean of up to 240: re-estimating every 5th
# keeps the per-frame cost of 48 people near nothing (a full estimate is ~0.1-0.2 ms)
_REESTIMATE_EVERY = 5


@dataclass(frozen=True, slots=True)
class Offsets:
    yaw: float
    pitch: float
    gaze_yaw: float
    gaze_pitch: float


def _trimmed_mean(values: npt.NDArray[np.float64], trim: float) -> float:
    ordered = np.sort(values)
    cut = int(len(ordered) * trim)
    kept = ordered[cut : len(ordered) - cut] if len(ordered) > 2 * cut else ordered
    return float(kept.mean())


class _Ring:
    """The most recent `size` rows of (a, b, weight), kept in one array: the baseline is
    re-estimated on every learned sample, so no per-call conversion of Python tuples."""

    def __init__(self, size: int) -> None:
        self._rows = np.zeros((size, 3), np.float64)
        self._next = 0
        self.count = 0

    def add(self, a: float, b: float, weight: int) -> None:
        self._rows[self._next] = (a, b, weight)
        self._next = (self._next + 1) % len(self._rows)
        self.count = min(self.count + 1, len(self._rows))

    def trimmed_means(self, trim: float) -> tuple[float, float]:
        rows = self._rows[: self.count]
        reps = rows[:, 2].astype(np.intp)
        return (
            _trimmed_mean(np.repeat(rows[:, 0], reps), trim),
            _trimmed_mean(np.repeat(rows[:, 1], reps), trim),
        )


class Baseline:
    def __init__(self, settings: DetectorSettings) -> None:
        self._s = settings
        self._facing = Offsets(0.0, settings.pitch_level_deg, 0.0, 0.0)
        # (yaw, pitch, weight) and (gaze yaw, gaze pitch, weight)
        self._poses = _Ring(settings.baseline_max_samples)
        self._gazes = _Ring(settings.baseline_max_samples)
        self._first_face_at: float | None = None
        self._value = self._facing
        self._since_estimate = 0

    @property
    def ready(self) -> bool:
        return self._poses.count >= self._s.baseline_min_samples

    @property
    def samples(self) -> int:
        return self._poses.count

    @property
    def facing(self) -> Offsets:
        """Looking straight at the camera, as face_mesh reads a level head."""
        return self._facing

    @property
    def value(self) -> Offsets:
        """The learned offsets, or facing the camera until enough samples arrived."""
        return self._value if self.ready else self._facing

    def learn(
        self,
        at: float,
        yaw: float,
        pitch: float,
        gaze: tuple[float, float] | None,
        *,
        speaking: bool,
    ) -> None:
        """Call AFTER judging the frame at `at`: it informs later frames only."""
        s = self._s
        if self._first_face_at is None:
            self._first_face_at = at
        early = at - self._first_face_at <= s.baseline_seconds
        d_pitch = abs(pitch - self._facing.pitch)
        limit = s.baseline_max_offset_deg
        if abs(yaw) > limit or d_pitch > limit:
            return
        if not speaking and (not early or d_pitch > s.pitch_threshold_deg):
            return
        weight = s.baseline_speaking_weight if speaking else 1
        self._poses.add(yaw, pitch, weight)
        if gaze is not None:
            self._gazes.add(gaze[0], gaze[1], weight)
        self._since_estimate += 1
        if (
            self._poses.count <= 2 * s.baseline_min_samples
            or self._since_estimate >= _REESTIMATE_EVERY
        ):
            self._since_estimate = 0
            self._value = self._estimate()

    def _estimate(self) -> Offsets:
        s, f = self._s, self._facing
        yaw, pitch = self._poses.trimmed_means(s.baseline_trim)
        yaw_cap = s.baseline_max_drift_deg
        pitch_cap = min(yaw_cap, _PITCH_DRIFT_SHARE * s.pitch_threshold_deg)
        yaw = float(np.clip(yaw, f.yaw - yaw_cap, f.yaw + yaw_cap))
        pitch = float(np.clip(pitch, f.pitch - pitch_cap, f.pitch + pitch_cap))
        gaze_yaw, gaze_pitch = (
            self._gazes.trimmed_means(s.baseline_trim) if self._gazes.count else (0.0, 0.0)
        )
        gaze_yaw = float(np.clip(gaze_yaw, -_GAZE_DRIFT_DEG, _GAZE_DRIFT_DEG))
        gaze_pitch = float(np.clip(gaze_pitch, -_GAZE_DRIFT_DEG, _GAZE_DRIFT_DEG))
        return Offsets(yaw, pitch, gaze_yaw, gaze_pitch)

    def describe(self) -> str:
        v = self.value
        if self.ready:
            return (
                f"learned from {self.samples} samples: looking at the meeting is yaw "
                f"{v.yaw:+.0f}°, pitch {v.pitch:+.0f}°"
            )
        return (
            f"not learned yet ({self.samples}/{self._s.baseline_min_samples} samples): "
            f"facing the camera (yaw {v.yaw:+.0f}°, pitch {v.pitch:+.0f}°)"
        )
