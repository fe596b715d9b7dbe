"""Decoded video frame → RGB array the detector reads, downscaled first.

Runs in a worker thread and only for sampled frames: converting YUV→RGB costs about as much as
the decode, so the ~29 of 30 frames a second we skip are never converted at all.
"""

from __future__ import annotations

import av
import numpy as np
import numpy.typing as npt


def to_rgb(frame: av.VideoFrame, max_width: int) -> npt.NDArray[np.uint8]:
    """RGB uint8 HxWx3, at most `max_width` wide (aspect kept, even sizes for the scaler)."""
    width, height = frame.width, frame.height
    if width > max_width > 0:
        height = max(2, round(height * max_width / width) // 2 * 2)
        width = max_width // 2 * 2
    # one swscale call does both the scaling and the colour conversion
    return np.asarray(frame.to_ndarray(format="rgb24", width=width, height=height), np.uint8)
