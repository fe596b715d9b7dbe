"""Every tunable of the detector, with a default that works for 640x360 webcam tiles at 1 fps.

Field names are the keys of the `[detector]` table in config/default.toml; the config loader
builds this class from that table by name and annotation, so fields stay int/float/bool/str.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DetectorSettings:
    # --- looking away (relative to the person's learned baseline) ---
    yaw_threshold_deg: float = 25.0
    pitch_threshold_deg: float = 20.0
    gaze_weight: float = 0.0
    yaw_gain: float = 1.15
    # --- per-person baseline ---
    baseline_seconds: float = 180.0
    baseline_min_samples: int = 5
    baseline_max_samples: int = 240
    baseline_max_offset_deg: float = 40.0
    # --- camera off ---
    no_frame_timeout_s: float = 5.0
    black_luma: float = 16.0
    uniform_std: float = 4.0
    dark_luma: float = 30.0
    noise_correlation: float = 0.35
    frozen_seconds: float = 10.0
    frozen_max_diff: float = 0.5
    # --- faces ---
    max_width: int = 640
    min_face_px: int = 20
    detection_confidence: float = 0.5
    crop_size_px: int = 256
    min_face_score: float = 0.65
    count_every_frames: int = 5
    refine_iris: bool = True
