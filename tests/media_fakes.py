"""Media fakes shared by the sampler tests: cameras and microphones that are real aiortc
tracks producing `av` frames at a device's pace, a valve that pauses a camera the way a media
server pauses a subscription, and a detector factory that records what it was given."""

from __future__ import annotations

import asyncio
import fractions
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import av
import numpy as np
import numpy.typing as npt
import skimage.data
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from detectors import Detector, DetectorSettings, Reading, Verdict
from detectors import synthetic as syn
from meetbot.clock import MonotonicClock
from meetbot.config.schema import SamplingSettings
from meetbot.connectors.base import Keyframe
from meetbot.domain.events import Observation, ParticipantId
from meetbot.errors import ConnectError
from meetbot.lab.recorder import EventRecorder
from meetbot.media import MediaSampler

Frame = npt.NDArray[np.uint8]
FACE = syn.letterbox(skimage.data.astronaut(), (360, 640))  # type: ignore[no-untyped-call]
BLACK = syn.black((360, 640))
VIDEO_TIME_BASE = fractions.Fraction(1, 90_000)
SMEARED = np.full((48, 40, 3), 7, np.uint8)  # a picture no test camera sends otherwise
A, B = ParticipantId("alice"), ParticipantId("bob")


class Camera(MediaStreamTrack):
    """A camera at `fps`: the picture `frames(n)` gives, ending or failing when told to."""

    kind = "video"

    def __init__(self, frames: Callable[[int], Frame], fps: float = 15.0) -> None:
        super().__init__()
        self.frames, self.fps = frames, fps
        self.sent = 0
        self.fail = threading.Event()
        self.progress = asyncio.Condition()
        self.flowing = asyncio.Event()  # cleared while a CameraValve has it paused
        self.flowing.set()
        self.started: float | None = None
        self.last_pts = 0
        self.last_picture: Frame | None = None
        self.held: int | None = None  # timestamp of a frame held back through a pause
        self.delay = 0.0  # extra wait before the next new frame (a keyframe being made)
        self.smeared = 0  # new frames still to come before the keyframe a resume asked for
        self.keyframe_for: CameraValve | None = None  # whom to tell when that keyframe goes

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self.fail.is_set():
            raise RuntimeError("decoder exploded")
        await self.flowing.wait()
        if self.held is not None and self.last_picture is not None:  # held through a pause
            picture, pts, self.held = self.last_picture, self.held, None
        else:
            # the camera's frame rate (and a sender's keyframe delay), not a wait for a result
            await asyncio.sleep(1 / self.fps + self.delay)
            self.delay = 0.0
            picture, pts = self.frames(self.sent), self._capture_clock()
            if self.smeared:  # an inter frame decoded onto the picture from before the pause
                self.smeared -= 1
                picture = SMEARED
            elif self.keyframe_for is not None:
                self.keyframe_for.spotted(pts)
                self.keyframe_for = None
        frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
        frame.pts, frame.time_base = pts, VIDEO_TIME_BASE
        self.last_picture, self.last_pts = picture, pts
        self.sent += 1
        async with self.progress:
            self.progress.notify_all()
        return frame.reformat(format="yuv420p")  # what a decoder hands out

    def _capture_clock(self) -> int:
        """A 90 kHz capture clock like RTP video's: it runs on through a pause."""
        now = asyncio.get_running_loop().time()
        if self.started is None:
            self.started = now
        return round((now - self.started) * 90_000)

    async def until_sent(self, n: int) -> None:
        async with asyncio.timeout(20), self.progress:
            await self.progress.wait_for(lambda: self.sent >= n)


class CameraValve:
    """Pauses a Camera the way a media server pauses a subscription: nothing arrives until
    `resume`, and then, as with a real decoder, first the frame held through the pause, then
    `smeared_frames` inter frames sent before the keyframe, then the keyframe (which this
    valve spots when `sees_keyframes`). `generation` counts resumes (frames can show it);
    `broken` makes calls fail as when the server is gone."""

    def __init__(
        self, camera: Camera, *, sees_keyframes: bool = True, instant: bool = False
    ) -> None:
        self.camera = camera
        self.sees_keyframes = sees_keyframes
        self.instant = instant
        self.calls: list[str] = []
        self.generation = 0
        self.broken = False
        self.deaf = False  # a sender that never answers the keyframe request a resume makes
        self.keyframe_delay_s = 0.0  # how long the sender takes to answer it
        self.smeared_frames = 0
        self.pauses_s: list[float] = []  # how long each pause lasted, until its resume
        self._keyframe: Keyframe | None = None
        self._paused_at: float | None = None

    def last_keyframe(self) -> Keyframe | None:
        return self._keyframe if self.sees_keyframes else None

    def spotted(self, pts: int) -> None:
        seen = 1 if self._keyframe is None else self._keyframe.seen + 1
        self._keyframe = Keyframe(seen, pts)

    async def pause(self) -> None:
        self._call("pause")
        self._paused_at = time.monotonic()
        self.camera.flowing.clear()

    async def resume(self) -> None:
        self._call("resume")
        if self._paused_at is not None:
            self.pauses_s.append(time.monotonic() - self._paused_at)
            self._paused_at = None
        # aiortc hands out the last frame from before the pause first (its jitter buffer
        # releases a frame when the next one's packets come): same picture, old timestamp.
        if not self.instant:  # a page decodes every frame: it holds none through a pause
            self.camera.held = self.camera.last_pts + 6000
        self.camera.delay = self.keyframe_delay_s
        self.camera.smeared = self.smeared_frames
        self.camera.keyframe_for = self
        self.generation += 1
        if not self.deaf:
            self.camera.flowing.set()

    def _call(self, what: str) -> None:
        self.calls.append(what)
        if self.broken:
            raise ConnectError(f"cannot {what}: the server is gone")


class Microphone(MediaStreamTrack):
    """20 ms frames of 48 kHz mono: a tone while `loud` is set, digital silence otherwise."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self.loud = threading.Event()
        self.sent = 0
        t = np.arange(960) / 48_000
        self.tone = (0.3 * 32767 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        await asyncio.sleep(0.02)  # the microphone's packet time
        samples = self.tone if self.loud.is_set() else np.zeros(960, np.int16)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts = 48_000, self.sent * 960
        frame.time_base = fractions.Fraction(1, 48_000)
        self.sent += 1
        return frame


class FakeDetector:
    """Says `verdict`, remembers what it saw, and waits for `gate` when the test holds it."""

    def __init__(self, verdict: Verdict, gate: threading.Event, fail: bool = False) -> None:
        self.verdict, self.gate, self.fail = verdict, gate, fail
        self.shapes: list[tuple[int, ...] | None] = []
        self.speaking: list[bool] = []
        self.closed = False
        self.busy = 0
        self.most_busy = 0

    def observe(self, frame: Frame | None, at: float, *, speaking: bool = False) -> Reading:
        self.busy += 1
        self.most_busy = max(self.most_busy, self.busy)
        try:
            assert self.gate.wait(10), "the test never released the detector"
            if self.fail:
                raise ValueError("model crashed")
            self.shapes.append(None if frame is None else frame.shape)
            self.speaking.append(speaking)
            return Reading(at, self.verdict, 0.9, faces=1, yaw=1.0, pitch=2.0, reason="fake")
        finally:
            self.busy -= 1

    def close(self) -> None:
        self.closed = True


class Detectors:
    """The factory seam: one FakeDetector per participant, in order of creation."""

    def __init__(self, verdict: Verdict = Verdict.ENGAGED, fail: bool = False) -> None:
        self.verdict, self.fail = verdict, fail
        self.gate = threading.Event()
        self.gate.set()
        self.made: list[FakeDetector] = []
        self.running = 0
        self.most_running = 0

    def __call__(self, settings: DetectorSettings) -> FakeDetector:
        det = FakeDetector(self.verdict, self.gate, self.fail)
        self.made.append(det)
        return det


def observed(events: EventRecorder, who: ParticipantId) -> list[Observation]:
    return [o for o in events.of(Observation) if o.participant == who]


def judged(events: EventRecorder, who: ParticipantId) -> list[Observation]:
    """Observations of real frames (the first ticks may come before the first frame)."""
    return [o for o in observed(events, who) if o.reason != "waiting_for_frames"]


@asynccontextmanager
async def sampling(
    *,
    fps: float = 5.0,
    threads: int = 2,
    detectors: Detectors | None = None,
    detector: DetectorSettings | None = None,
    speech_from_audio: bool = False,
    pause_video_from: int = 1000,
    resume_lead_s: float = 0.3,
) -> AsyncIterator[tuple[MediaSampler, EventRecorder]]:
    settings = SamplingSettings(
        fps=fps,
        detector_threads=threads,
        pause_video_from=pause_video_from,
        resume_lead_s=resume_lead_s,
    )
    events = EventRecorder()
    sampler = MediaSampler(
        settings,
        detector or DetectorSettings(),
        MonotonicClock(),
        detector_factory=detectors or Detector,
        speech_from_audio=speech_from_audio,
    )
    async with (
        sampler,
        asyncio.TaskGroup() as group,
    ):
        run = group.create_task(sampler.run(events.emit))
        yield sampler, events
        run.cancel()
