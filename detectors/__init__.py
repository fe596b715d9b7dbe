"""Per-participant computer vision: is the camera on, is someone there, are they looking?

A pure leaf: numpy, OpenCV and mediapipe only, nothing written to disk. One `Detector` per
participant turns each sampled RGB frame into a `Reading`.

The names below load on first use: `detectors.settings` is read by every meetbot command's
configuration, and importing mediapipe for `meetbot sessions` would cost seconds each time.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from detectors.detector import Detector
    from detectors.reading import Reading, Verdict
    from detectors.settings import DetectorSettings

__all__ = ["Detector", "DetectorSettings", "Reading", "Verdict"]

_HOMES = {
    "Detector": "detectors.detector",
    "DetectorSettings": "detectors.settings",
    "Reading": "detectors.reading",
    "Verdict": "detectors.reading",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'detectors' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
