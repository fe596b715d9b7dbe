"""What a detector says about one sampled frame of one participant.

A `Reading` is a fact about a single frame plus the detector's short memory (no-frame timeout,
frozen picture, baseline). The session turns readings into states with dwell times.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    ENGAGED = "engaged"
    LOOKING_AWAY = "looking_away"
    ABSENT = "absent"  # camera on, nobody in the picture
    CAMERA_OFF = "camera_off"  # no frames, black/uniform/noise/very dark, or a frozen picture
    UNKNOWN = "unknown"  # the frame cannot be judged; never a guess


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a face got its verdict, in words a member who disputes a figure can be shown."""

    head: str  # the head's turn relative to the baseline, against the thresholds
    eyes: str  # the eyes' own turn and the line of sight, or why they could not be read
    baseline: str  # what "looking at the meeting" is for this person, and how it was learned
    plausibility: str  # whether the landmarks are a face seen from the front half


@dataclass(frozen=True, slots=True)
class Reading:
    """One judged frame.

    Angles are degrees in the camera frame: yaw > 0 = nose toward image right, pitch > 0 = nose
    up, roll > 0 = face turned clockwise in the image. They are the absolute head pose; the
    verdict compares them with the person's baseline (see `offset_yaw`/`offset_pitch`).
    `gaze` is the eyes' direction inside the head (yaw, pitch) in degrees, from the irises.
    """

    at: float
    verdict: Verdict
    confidence: float
    faces: int = 0
    yaw: float | None = None
    pitch: float | None = None
    roll: float | None = None
    gaze: tuple[float, float] | None = None
    reason: str = ""
    face_px: int = 0  # width of the main face in the analysed frame
    offset_yaw: float | None = None  # head yaw minus the baseline
    offset_pitch: float | None = None
    baseline_ready: bool = False
    why: Explanation | None = None  # set on every reading of a face with landmarks
