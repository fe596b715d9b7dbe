"""Camera pictures for scripted participants, rendered once and reused.

Faces are real photos shipped with scikit-image, turned to a known head pose by
detectors.synthetic (rendering one pose takes ~0.1-0.5 s, so each pose is rendered ONCE per
face). Each picture gets a few variants with faint sensor noise: a live camera never repeats a
frame exactly, and the detectors treat an exactly repeated picture as a frozen stream.
Frames are kept as yuv420p arrays, what the VP8 encoder consumes, so sending costs no colour
conversion. Nothing here touches the disk.

A process renders each (faces, canvas, face size) once: rendering takes seconds (over ten on a
busy machine) and every test or demo scenario after the first reuses the book. A shared book is
read-only (a mapping proxy of arrays that refuse writes), so no caller can change another's.
"""

from __future__ import annotations

import fractions
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import av
import numpy as np
import numpy.typing as npt
from skimage import data as skdata

from meetbot.errors import ConfigError
from meetbot.lab.scenario import Behaviour, Scenario

Yuv = npt.NDArray[np.uint8]
VARIANTS = 4
LOOK_AWAY_YAW = 50.0  # degrees: clearly away from the screen, still a visible face

_FACES = ("astronaut",)  # skimage photos with one frontal face the mesh finds reliably


@dataclass(frozen=True, slots=True)
class FrameBook:
    """Pre-rendered yuv420p frames per (face, behaviour), a few noise variants each."""

    frames: Mapping[tuple[str, Behaviour], tuple[Yuv, ...]]
    canvas: tuple[int, int]

    @classmethod
    def for_scenario(cls, scenario: Scenario) -> FrameBook:
        faces = sorted({s.face for s in scenario.scripts})
        return cls.render(faces, scenario.canvas, scenario.face_px)

    @classmethod
    def render(
        cls, faces: Iterable[str], canvas: tuple[int, int] = (240, 320), face_px: int = 110
    ) -> FrameBook:
        """The book of `faces`, rendered on this process's first call and shared after."""
        wanted = tuple(sorted(set(faces)))
        for name in wanted:
            if name not in _FACES:
                raise ConfigError(f"face {name!r} is not available; use one of {list(_FACES)}")
        return _rendered(wanted, (canvas[0], canvas[1]), face_px)

    def frame(self, face: str, behaviour: Behaviour, n: int) -> Yuv:
        variants = self.frames[face, behaviour]
        return variants[n % len(variants)]


# A few books at most per process (the suite uses three sizes); the bound keeps a long-lived
# process that renders many sizes from holding them all.
@functools.lru_cache(maxsize=8)
def _rendered(faces: tuple[str, ...], canvas: tuple[int, int], face_px: int) -> FrameBook:
    # Imported here: detectors pulls in mediapipe, which only scenarios need.
    from detectors import synthetic

    frames: dict[tuple[str, Behaviour], tuple[Yuv, ...]] = {}
    empty = synthetic.empty_chair(canvas)
    black = _to_yuv(synthetic.black(canvas))
    for name in faces:
        posable = synthetic.PosableFace(getattr(skdata, name)())
        looking = posable.frame(0.0, 0.0, face_px, canvas)
        away = posable.frame(LOOK_AWAY_YAW, 0.0, face_px, canvas)
        frames[name, Behaviour.ATTENTIVE] = _variants(looking)
        frames[name, Behaviour.LOOKING_AWAY] = _variants(away)
        frames[name, Behaviour.AWAY] = _variants(empty)
        frames[name, Behaviour.CAMERA_OFF] = (black,)  # a disabled camera is exactly black
    return FrameBook(MappingProxyType(frames), canvas)


def _variants(rgb: npt.NDArray[np.uint8], seed: int = 0) -> tuple[Yuv, ...]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(VARIANTS):
        noisy = np.clip(rgb.astype(np.int16) + rng.integers(-3, 4, rgb.shape), 0, 255)
        out.append(_to_yuv(noisy.astype(np.uint8)))
    return tuple(out)


def _to_yuv(rgb: npt.NDArray[np.uint8]) -> Yuv:
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
    yuv = np.asarray(frame.reformat(format="yuv420p").to_ndarray(), np.uint8)
    yuv.flags.writeable = False  # books are shared: a write would change every reader's camera
    return yuv


def video_frame(yuv: Yuv, pts: int, clock_rate: int = 90_000) -> av.VideoFrame:
    frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
    frame.pts = pts
    frame.time_base = fractions.Fraction(1, clock_rate)
    return frame
