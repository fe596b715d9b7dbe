"""Every tunable of the detector, with a default that works for 640x360 webcam tiles at 1 fps.

Field names are the keys of the `[detector]` table in config/default.toml; the config loader
builds this class from that table by name and annotation, so fields stay int/float/bool/str.
The reasons for each default are in config/detector.toml.part (pasted into default.toml).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields


@dataclass(frozen=True, slots=True)
class DetectorSettings:
    # --- looking away, relative to the person's learned baseline ---
    yaw_threshold_deg: float = 25.0  # head turned further sideways than this = looking away
    pitch_threshold_deg: float = 20.0  # head raised/lowered further than this = looking away
    yaw_gain: float = 1.11  # face_mesh understates head turns (bench/realfaces/calibrate.py)
    pitch_level_deg: float = -6.0  # the pitch face_mesh reads on a level head facing the camera
    unlearned_margin_deg: float = 5.0  # thresholds widened by this until the baseline is learned
    # --- eyes: a veto, never a reason on their own ---
    gaze_weight: float = 2.5  # the irises' sideways turn, times this, is added to the head's
    gaze_noise_deg: float = 5.0  # eye turns smaller than this are iris-landmark noise: ignored
    head_far_ratio: float = 1.4  # a head beyond this many thresholds is away whatever the eyes say
    # --- plausibility of the landmark fit (back of a head, ear only, mesh on hair) ---
    plausible_score: float = 0.8  # detections at least this sure need no further checks
    odd_gaze_deg: float = 18.0  # irises this far from centre on a doubtful detection: not eyes
    odd_roll_deg: float = 20.0  # a head tilted this far on a doubtful detection: not a face
    # --- per-person baseline ---
    baseline_seconds: float = 180.0  # learn from every face sample in the first minutes
    baseline_min_samples: int = 5  # samples before the baseline replaces "facing the camera"
    baseline_max_samples: int = 240  # most recent samples kept (4 min at 1 fps)
    baseline_max_offset_deg: float = 40.0  # samples turned further are never learned
    baseline_max_drift_deg: float = 30.0  # learned yaw stays this close to facing the camera
    baseline_speaking_weight: int = 3  # a sample while speaking counts this many times
    baseline_trim: float = 0.2  # share cut off each end before averaging (trimmed mean)
    # --- camera off ---
    no_frame_timeout_s: float = 5.0  # no frame for this long = camera off
    black_luma: float = 16.0  # a flat frame darker than this is "black_frame"
    uniform_std: float = 4.0  # luma spread below this = flat frame (black/placeholder colour)
    dark_luma: float = 30.0  # mean luma below this with no face found = "too_dark"
    noise_correlation: float = 0.35  # neighbour-pixel correlation below this = noise frame
    frozen_seconds: float = 10.0  # an unchanged picture for this long = camera off (frozen)
    frozen_max_diff: float = 0.5  # grey levels a thumbnail pixel may change and stay "same"
    # --- faces ---
    max_width: int = 640  # larger frames are downscaled first (bounded cost)
    min_face_px: int = 20  # faces narrower than this are counted but not judged (unknown)
    detection_confidence: float = 0.5  # mediapipe detection/tracking score to accept a face
    crop_size_px: int = 256  # small faces are cropped and scaled to this for face_mesh
    min_face_score: float = 0.65  # detections the mesh cannot fit need at least this score
    count_every_frames: int = 5  # recount faces in the tile every N frames while tracking
    refine_iris: bool = True  # 478-point mesh with irises (gaze); +0.5 ms per frame
    face_tracking: bool = False  # a tracking face_mesh per person (~26 MiB each) instead of
    # following the face with the thread's shared landmark graph (no per-person graph)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"detector.{f.name} must be a finite number, got {value}")
        checks = (
            ("yaw_threshold_deg", 0 < self.yaw_threshold_deg < 90),
            ("pitch_threshold_deg", 0 < self.pitch_threshold_deg < 90),
            ("yaw_gain", 0.5 <= self.yaw_gain <= 2.0),
            ("pitch_level_deg", -30 <= self.pitch_level_deg <= 30),
            ("unlearned_margin_deg", 0 <= self.unlearned_margin_deg <= 30),
            ("gaze_weight", 0 <= self.gaze_weight <= 5.0),
            ("head_far_ratio", self.head_far_ratio >= 1),
            ("gaze_noise_deg", 0 <= self.gaze_noise_deg <= 45),
            ("plausible_score", 0 <= self.plausible_score <= 1),
            ("odd_gaze_deg", 0 < self.odd_gaze_deg <= 90),
            ("odd_roll_deg", 0 < self.odd_roll_deg <= 180),
            ("baseline_seconds", self.baseline_seconds >= 0),
            ("baseline_min_samples", self.baseline_min_samples >= 1),
            ("baseline_max_samples", self.baseline_max_samples >= self.baseline_min_samples),
            ("baseline_max_offset_deg", self.baseline_max_offset_deg > 0),
            ("baseline_max_drift_deg", 0 <= self.baseline_max_drift_deg <= 90),
            ("baseline_speaking_weight", self.baseline_speaking_weight >= 1),
            ("baseline_trim", 0 <= self.baseline_trim < 0.5),
            ("detection_confidence", 0 < self.detection_confidence <= 1),
            ("min_face_score", 0 <= self.min_face_score <= 1),
            ("min_face_px", self.min_face_px >= 1),
            ("max_width", self.max_width >= 64),
            ("crop_size_px", self.crop_size_px >= 64),
            ("count_every_frames", self.count_every_frames >= 1),
        )
        for name, ok in checks:
            if not ok:
                raise ValueError(f"detector.{name} is out of range: {getattr(self, name)}")
