"""Per-participant computer vision: is the camera on, is someone there, are they looking?

A pure leaf: numpy, OpenCV and mediapipe only, nothing written to disk. One `Detector` per
participant turns each sampled RGB frame into a `Reading`.
"""

from detectors.detector import Detector
from detectors.reading import Reading, Verdict
from detectors.settings import DetectorSettings

__all__ = ["Detector", "DetectorSettings", "Reading", "Verdict"]
