"""Cheap whole-frame checks that run before any face model: is there a picture at all?

All statistics come from a small grey thumbnail (160 px wide), which costs well under a
millisecond and averages away sensor noise, so thresholds do not depend on the input size.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from detectors.settings import DetectorSettings

THUMB_WIDTH = 160

GreyImage = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class FrameQuality:
    """Whole-frame facts; `problem` is a reason string when the frame shows no usable picture."""

    mean: float
    std: float
    correlation: float  # neighbour-pixel correlation: ~0 for noise, > 0.8 for camera pictures
    dark: bool
    problem: str  # "" when the picture looks like a camera picture


def thumbnail(rgb: npt.NDArray[np.uint8]) -> GreyImage:
    h, w = rgb.shape[:2]
    tw = min(THUMB_WIDTH, w)
    th = max(1, round(h * tw / w))
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    small = cv2.resize(grey, (tw, th), interpolation=cv2.INTER_AREA)
    return small.astype(np.float32)


def _neighbour_correlation(t: GreyImage) -> float:
    """Mean of horizontal and vertical lag-1 correlation. White noise gives ~0 even after the
    area downscale (averaging independent pixels keeps them independent); real scenes stay high."""
    out = []
    for a, b in ((t[:, :-1], t[:, 1:]), (t[:-1, :], t[1:, :])):
        if a.size < 4:
            continue
        a0 = a - a.mean()
        b0 = b - b.mean()
        den = float(np.sqrt((a0 * a0).sum() * (b0 * b0).sum()))
        out.append(float((a0 * b0).sum()) / den if den > 0 else 1.0)
    return sum(out) / len(out) if out else 1.0


def assess(thumb: GreyImage, settings: DetectorSettings) -> FrameQuality:
    mean = float(thumb.mean())
    std = float(thumb.std())
    problem = ""
    corr = 1.0
    if std < settings.uniform_std:
        # a lens cap, a "camera off" placeholder colour, or a decoder showing a flat frame
        problem = "black_frame" if mean < settings.black_luma else "uniform_frame"
    else:
        corr = _neighbour_correlation(thumb)
        if corr < settings.noise_correlation:
            problem = "noise_frame"
    return FrameQuality(mean, std, corr, mean < settings.dark_luma, problem)


class FreezeWatch:
    """Notices a picture that has not changed for `frozen_seconds`: a stalled stream, or a photo
    or screenshot fed through a virtual camera. A live camera never repeats a frame exactly
    (sensor noise, breathing, blinking), so the test is the LARGEST per-pixel change against
    the frame that started the still run, not a mean that a small moving face would vanish in."""

    def __init__(self, settings: DetectorSettings) -> None:
        self._max_diff = settings.frozen_max_diff
        self._seconds = settings.frozen_seconds
        self._anchor: GreyImage | None = None
        self._still_since = 0.0

    def update(self, thumb: GreyImage, at: float) -> bool:
        """Record a frame; True when the picture has been identical for frozen_seconds."""
        anchor = self._anchor
        if anchor is None or anchor.shape != thumb.shape:
            self._anchor, self._still_since = thumb, at
            return False
        if float(np.abs(thumb - anchor).max()) > self._max_diff:
            self._anchor, self._still_since = thumb, at
            return False
        return at - self._still_since >= self._seconds

    def still_for(self, at: float) -> float:
        return 0.0 if self._anchor is None else at - self._still_since
