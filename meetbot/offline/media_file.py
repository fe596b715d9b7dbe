"""Frames from an image or a video file, for `meetbot detect`: decoded in memory as RGB, one
per 1/fps seconds of video, and never written anywhere. A file that would decode to more than
MAX_PIXELS is refused from its header alone; pictures smaller than the detector judges, and
(for `meetbot analyze`) media shorter than MIN_SECONDS, are refused too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image

from detectors.detector import MIN_SIDE

Frame = npt.NDArray[np.uint8]

# 40 megapixels (a large camera photo) is 120 MB decoded; the detector downscales to 640 wide.
MAX_PIXELS = 40_000_000
# A session is kept per second: a shorter file (a still image is one frame) has no second to
# show and would be stored as a 0-second meeting.
MIN_SECONDS = 1.0
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".ppm", ".pgm"}


def frames(path: Path, fps: float) -> Iterator[tuple[float, Frame]] | None:
    """(seconds, RGB frame) of an image (one, at 0) or a video; None when it cannot be read."""
    return _image(path) if path.suffix.lower() in _IMAGE_SUFFIXES else _video(path, fps)


def unfit(path: Path) -> str | None:
    """Why the image `path` must not be decoded, from its header alone (too large to decode,
    too small to judge), or None when it may be.

    A small PNG can declare 25000×25000 pixels: 1.9 GB once decoded, 3.9 GB at the peak.
    """
    pillow_limit = Image.MAX_IMAGE_PIXELS
    try:
        # Only the header is read, so Pillow's own bomb check (a warning from 89 megapixels,
        # an error from 179) is switched off for it: the limit below says it in one line.
        Image.MAX_IMAGE_PIXELS = None
        with Image.open(path) as image:
            width, height = image.size
    except (OSError, ValueError):
        return None  # not an image Pillow knows (a video): OpenCV decides
    finally:
        Image.MAX_IMAGE_PIXELS = pillow_limit
    if width * height <= MAX_PIXELS:
        return too_small(path, width, height)
    return (
        f"{path}: {width}×{height} pixels is more than detect decodes "
        f"({MAX_PIXELS / 1e6:g} megapixels); scale the image down first (the detector works at "
        "640 pixels wide anyway)"
    )


def too_small(path: Path, width: int, height: int) -> str | None:
    """Why a picture of width × height cannot be analysed, or None when it can."""
    if min(width, height) >= MIN_SIDE:
        return None
    return (
        f"{path}: {width}×{height} pixels is too small to analyse (the detector needs at least "
        f"{MIN_SIDE} pixels a side); give the participant's camera video"
    )


def too_short(path: Path, seconds: float) -> str | None:
    """Why media lasting `seconds` cannot be analysed as a meeting, or None when it can."""
    if seconds >= MIN_SECONDS:
        return None
    return (
        f"{path}: {seconds:.2g} s of media is too short to analyse (at least {MIN_SECONDS:g} s); "
        "give the participant's recording of the meeting"
    )


def _image(path: Path) -> Iterator[tuple[float, Frame]] | None:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        return None
    return iter([(0.0, _rgb(bgr))])


def _video(path: Path, fps: float) -> Iterator[tuple[float, Frame]] | None:
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        cap.release()
        return None
    ok, first = cap.read()
    if not ok:
        cap.release()
        # a still image with an unusual suffix: OpenCV's image reader may know it
        return _image(path)
    return _sampled(cap, _rgb(first), fps)


def _rgb(bgr: object) -> Frame:
    """OpenCV decodes to BGR; the detector takes RGB."""
    return np.asarray(cv2.cvtColor(np.asarray(bgr, np.uint8), cv2.COLOR_BGR2RGB), np.uint8)


def _sampled(cap: cv2.VideoCapture, first: Frame, fps: float) -> Iterator[tuple[float, Frame]]:
    """Every frame is decoded (codecs need it) but only one per 1/fps seconds is analysed.
    Frames arrive here already converted to RGB."""
    native = cap.get(cv2.CAP_PROP_FPS) or 0.0
    step, next_at, index = 1.0 / fps, 0.0, 0
    frame: Frame | None = first
    try:
        while frame is not None:
            msec = cap.get(cv2.CAP_PROP_POS_MSEC)
            at = index / native if native > 0 else msec / 1000.0
            if at + 1e-6 >= next_at:
                yield round(at, 3), frame
                while next_at <= at + 1e-6:
                    next_at += step
            ok, bgr = cap.read()
            frame = _rgb(bgr) if ok else None
            index += 1
    finally:
        cap.release()
