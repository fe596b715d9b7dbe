"""Every tunable of the detector, with a default that works for 640x360 webcam tiles at 1 fps.

Field names are the keys of the `[detector]` table in config/default.toml; the config loader
builds this class from that table by name and annotation, so fields stay int/float/bool/str.
The reasons for each default are in the comments of that table; the values allowed are in
ALLOWED, checked when an instance is made (a ValueError starting with the field name).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

# Allowed values, both ends included (NaN fails `low <= v <= high`, so it is refused too); a
# number without an entry must still be finite. meetbot.domain.ranges does this for meetbot,
# which detectors may not import.
ALLOWED: dict[str, tuple[float, float]] = {
    "yaw_threshold_deg": (1, 90),
    "pitch_threshold_deg": (1, 90),
    "gaze_weight": (0, 5),
    "yaw_gain": (0.5, 3),
    "pitch_gain": (0.5, 3),
    "bowed_share": (0, 1),
    "pitch_level_deg": (-30, 30),
    "unlearned_margin_deg": (0, 30),
    "gaze_noise_deg": (0, 45),
    "head_far_ratio": (1, 10),
    "plausible_score": (0, 1),
    "odd_gaze_deg": (1, 90),
    "odd_roll_deg": (1, 180),
    "baseline_max_drift_deg": (0, 90),
    "baseline_speaking_weight": (1, 100),
    "baseline_trim": (0, 0.45),
    "baseline_seconds": (0, 86400),
    "baseline_min_samples": (1, 100_000),
    "baseline_max_samples": (1, 100_000),
    "baseline_max_offset_deg": (1, 180),
    "no_frame_timeout_s": (0.1, 86400),
    "black_luma": (0, 255),
    "uniform_std": (0, 255),
    "dark_luma": (0, 255),
    "noise_correlation": (-1, 1),
    "frozen_seconds": (0.1, 86400),
    "frozen_max_diff": (0, 255),
    "max_width": (32, 7680),
    "min_face_px": (1, 7680),
    "detection_confidence": (0, 1),
    "crop_size_px": (32, 4096),
    "min_face_score": (0, 1),
    "count_every_frames": (1, 100_000),
}

_KINDS = {"bool": "true or false", "str": "a string", "int": "a whole number"}


@dataclass(frozen=True, slots=True)
class DetectorSettings:
    # --- looking away, relative to the person's learned baseline ---
    yaw_threshold_deg: float = 25.0  # head turned further sideways than this = looking away
    pitch_threshold_deg: float = 20.0  # head raised/lowered further than this = looking away
    yaw_gain: float = 1.11  # face_mesh understates head turns (bench/realfaces/calibrate.py)
    pitch_level_deg: float = -6.0  # the pitch face_mesh reads on a level head facing the camera
    pitch_gain: float = 1.1  # face_mesh understates a bow from the person's level
    bowed_share: float = 0.6  # bowed this share of the threshold + eyes down or shut: looking down
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
            value, kind = getattr(self, f.name), _KINDS.get(str(f.type), "a finite number")
            if f.type in ("bool", "str"):
                if type(value).__name__ != f.type:
                    raise ValueError(f"{f.name} must be {kind}, got {value!r}")
                continue
            low, high = ALLOWED.get(f.name, (-math.inf, math.inf))
            allowed = f"{kind} from {low:g} to {high:g}" if f.name in ALLOWED else kind
            if (
                isinstance(value, bool)
                or not isinstance(value, int if f.type == "int" else int | float)
                or not low <= value <= high  # NaN fails this
                or (isinstance(value, float) and not math.isfinite(value))
            ):
                raise ValueError(f"{f.name} must be {allowed}, got {value!r}")
        if self.baseline_min_samples > self.baseline_max_samples:
            raise ValueError(
                f"baseline_min_samples must be at most baseline_max_samples "
                f"({self.baseline_max_samples}), got {self.baseline_min_samples}"
            )
