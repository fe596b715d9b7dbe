"""One participant's video as the sampler sees it: a slot, a detector, and one job at a time.

`sample` runs in a worker thread. A detector keeps per-person state (the face's last region,
the frozen-picture timer, the learned baseline) and is not thread-safe, so each participant owns
one and never has two calls in flight; the mediapipe graphs behind it are shared per thread.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Protocol

import av
import numpy as np
import numpy.typing as npt
from aiortc.mediastreams import MediaStreamTrack

from detectors import DetectorSettings, Reading
from meetbot.connectors.base import Valve
from meetbot.domain.events import Observation, ParticipantId, unknown
from meetbot.media.observation import to_observation
from meetbot.media.picture import to_rgb
from meetbot.media.slot import FrameSlot


class FrameDetector(Protocol):
    """What the sampler needs of `detectors.Detector` (the seam tests fill with a fake)."""

    def observe(
        self, frame: npt.NDArray[np.uint8] | None, at: float, *, speaking: bool = False
    ) -> Reading: ...

    def close(self) -> None: ...


DetectorFactory = Callable[[DetectorSettings], FrameDetector]


class Watch:
    """Sampling state of one participant's video track. Touched by the event loop only,
    except `detector`, which only the one in-flight job uses."""

    def __init__(
        self,
        participant: ParticipantId,
        track: MediaStreamTrack,
        due: float,
        valve: Valve | None = None,
    ) -> None:
        self.participant = participant
        self.track = track
        self.valve = valve  # None: the platform cannot pause this video, or a pause failed
        self.paused = False  # paused at the server: resume before the next sample
        self.paused_at = 0.0  # loop time of the last pause
        self.open_for = 0  # samples to keep the video flowing (its sender was slow to resume)
        self.answer_s: float | None = None  # an instant valve's usual resume-to-picture time
        self.missed = 0  # its asks in a row that brought no picture by the sample
        self.slot = FrameSlot()
        self.detector: FrameDetector | None = None
        self.broken = ""  # why we cannot judge this person any more ("" = fine)
        self.busy = False  # a job is in flight: the next tick is skipped, never queued
        self.retired = False  # track gone: close the detector once the job returns
        self.speaking = False
        self.due = due  # loop time of the next sample
        self.drain: asyncio.Task[str] | None = None
        self.settling: asyncio.Task[None] | None = None  # the pause after the last sample
        self.analysed = 0
        self.skipped = 0


def sample(
    watch: Watch,
    frame: av.VideoFrame | None,
    at: float,
    make: DetectorFactory,
    settings: DetectorSettings,
    max_width: int,
) -> Observation:
    """Decode (if there is a new frame) and judge it. Worker thread; never raises."""
    who = watch.participant
    try:
        if watch.detector is None:
            watch.detector = make(settings)
        rgb = None if frame is None else to_rgb(frame, max_width)
        return to_observation(who, watch.detector.observe(rgb, at, speaking=watch.speaking))
    except Exception as exc:  # one person's failure is their unknown, not a crash
        return unknown(who, at, f"detector_error: {type(exc).__name__}")


def close(watch: Watch) -> None:
    """Release the detector's models. Worker thread, after the last job."""
    detector, watch.detector = watch.detector, None
    if detector is not None:
        # best effort: a model that fails to close dies with the process anyway
        with contextlib.suppress(Exception):
            detector.close()
