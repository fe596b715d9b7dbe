"""MediaSampler behind real aiortc peers: frames go VP8/Opus over RTP between two
RTCPeerConnections in this process (offer/answer exchanged in memory, no Janus), so the
sampler reads real `RemoteStreamTrack`s with aiortc's unbounded queues behind them.

ICE needs a non-loopback interface (aioice drops 127.0.0.1): run inside the test namespace,
`scripts/in-sandbox .venv/bin/pytest tests/test_media_loopback.py`. Skipped elsewhere.
"""

from __future__ import annotations

import asyncio
import fractions
import os
import socket
import threading
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import av
import pytest
from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from media_fakes import BLACK, FACE, A, B, Frame, Microphone

from detectors import Detector, DetectorSettings, Reading
from meetbot.clock import MonotonicClock
from meetbot.config.schema import SamplingSettings
from meetbot.connectors.janus_feed import close_peer
from meetbot.domain.events import Observation, ParticipantId, SpeechChanged
from meetbot.domain.states import SpeechSource, State, TrackKind
from meetbot.lab.recorder import EventRecorder
from meetbot.media import MediaSampler
from meetbot.media.watch import FrameDetector


def _sandbox_problem() -> str | None:
    if os.environ.get("MEETBOT_SANDBOX") != "1":
        return "needs the test network namespace; run: scripts/in-sandbox .venv/bin/pytest"
    try:
        socket.if_nametoindex("mv0")
    except OSError:
        return "no mv0 interface; run the command through scripts/in-sandbox"
    return None


pytestmark = pytest.mark.skipif(_sandbox_problem() is not None, reason=str(_sandbox_problem()))


class Camera(MediaStreamTrack):
    kind = "video"

    def __init__(self, picture: Frame, fps: float = 10.0) -> None:
        super().__init__()
        self.picture, self.fps, self.sent = picture, fps, 0
        self.progress = asyncio.Condition()

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        await asyncio.sleep(1 / self.fps)  # the camera's frame rate
        # a little sensor noise in one corner, so the picture is live, not frozen
        picture = self.picture.copy()
        picture[:8, :8] = (self.sent * 37) % 256
        frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
        frame.pts, frame.time_base = self.sent * 9000, fractions.Fraction(1, 90_000)
        self.sent += 1
        async with self.progress:
            self.progress.notify_all()
        return frame

    async def until_sent(self, n: int) -> None:
        async with asyncio.timeout(30), self.progress:
            await self.progress.wait_for(lambda: self.sent >= n)


def _config() -> RTCConfiguration:
    # no STUN (the default asks a public server); MAX_BUNDLE as with Janus
    return RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)


@asynccontextmanager
async def publishing(
    who: ParticipantId, sampler: MediaSampler, *tracks: MediaStreamTrack
) -> AsyncIterator[RTCPeerConnection]:
    """One participant's camera/microphone into the sampler over a real peer connection."""
    sender, receiver = RTCPeerConnection(_config()), RTCPeerConnection(_config())
    arrived: list[tuple[TrackKind, MediaStreamTrack]] = []

    @receiver.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        arrived.append((TrackKind(track.kind), track))

    try:
        for track in tracks:
            sender.addTrack(track)
        await sender.setLocalDescription(await sender.createOffer())
        await receiver.setRemoteDescription(sender.localDescription)
        await receiver.setLocalDescription(await receiver.createAnswer())
        await sender.setRemoteDescription(receiver.localDescription)
        for kind, track in arrived:  # what a connector does with every remote track
            await sampler.track_started(who, kind, track)
        yield receiver
    finally:
        try:
            await close_peer(sender)
        finally:
            await close_peer(receiver)


class Gate:
    """Factory of real detectors that the test can hold back (to make the detector slow)."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.open.set()

    def __call__(self, settings: DetectorSettings) -> FrameDetector:
        return _Held(Detector(settings), self.open)


class _Held:
    def __init__(self, inner: Detector, gate: threading.Event) -> None:
        self.inner, self.gate = inner, gate

    def observe(self, frame: Frame | None, at: float, *, speaking: bool = False) -> Reading:
        assert self.gate.wait(20), "the test never released the detector"
        return self.inner.observe(frame, at, speaking=speaking)

    def close(self) -> None:
        self.inner.close()


def judged(events: EventRecorder, who: ParticipantId) -> list[Observation]:
    return [
        o
        for o in events.of(Observation)
        if o.participant == who and o.reason != "waiting_for_frames"
    ]


@asynccontextmanager
async def sampling(
    gate: Gate, *, speech_from_audio: bool = False
) -> AsyncIterator[tuple[MediaSampler, EventRecorder]]:
    events = EventRecorder()
    settings = SamplingSettings(fps=4.0, detector_threads=2)
    detector = DetectorSettings(frozen_seconds=60.0)
    sampler = MediaSampler(
        settings,
        detector,
        MonotonicClock(),
        detector_factory=gate,
        speech_from_audio=speech_from_audio,
    )
    async with sampler, asyncio.TaskGroup() as group:
        run = group.create_task(sampler.run(events.emit))
        yield sampler, events
        run.cancel()


async def test_real_frames_over_rtp_are_judged_per_person() -> None:
    async with sampling(Gate()) as (sampler, events), AsyncExitStack() as peers:
        await peers.enter_async_context(publishing(A, sampler, Camera(FACE)))
        await peers.enter_async_context(publishing(B, sampler, Camera(BLACK)))
        await events.wait_for(
            lambda _: len(judged(events, A)) >= 3 and len(judged(events, B)) >= 3, 60
        )
    assert {o.state for o in judged(events, A)} == {State.ENGAGED}
    assert {o.state for o in judged(events, B)} == {State.CAMERA_OFF}


async def test_aiortc_queue_stays_empty_while_the_detector_is_stuck() -> None:
    gate = Gate()
    async with sampling(gate) as (sampler, events):
        camera = Camera(FACE, fps=15.0)
        async with publishing(A, sampler, camera) as receiver:
            await events.wait_for(lambda _: judged(events, A) != [], 60)
            gate.open.clear()
            watch = sampler.watches[A]
            remote = next(t.receiver.track for t in receiver.getTransceivers() if t.kind == "video")
            first = watch.slot.received
            await camera.until_sent(camera.sent + 45)  # three seconds of video, detector stuck
            backlog = remote._queue.qsize()  # type: ignore[attr-defined]  # aiortc's unbounded per-track queue (aiortc#554)
            received = watch.slot.received - first
            gate.open.set()
            await events.wait_for(lambda _: len(judged(events, A)) >= 3, 60)
    assert backlog <= 3  # frames in flight at most, not seconds of video
    assert received >= 30  # read all along while nothing was analysed
    assert watch.skipped >= 2


async def test_a_publisher_that_goes_away_is_unknown_for_that_person_only() -> None:
    async with sampling(Gate()) as (sampler, events), publishing(B, sampler, Camera(FACE)):
        async with publishing(A, sampler, Camera(FACE)):
            await events.wait_for(lambda _: len(judged(events, A)) >= 2, 60)
        # A's connection closed without the connector saying so: the stream ended under us
        await events.wait_for(lambda _: judged(events, A)[-1].state is State.UNKNOWN, 30)
        seen_b = len(judged(events, B))
        await events.wait_for(lambda _: len(judged(events, B)) >= seen_b + 3, 30)
    assert judged(events, A)[-1].reason == "stream_ended"
    assert judged(events, B)[-1].state is State.ENGAGED


async def test_speech_from_the_audio_level_of_an_opus_stream() -> None:
    mic = Microphone()
    async with (
        sampling(Gate(), speech_from_audio=True) as (sampler, events),
        publishing(A, sampler, mic, Camera(FACE)),
    ):
        await events.wait_for(lambda _: judged(events, A) != [], 60)
        mic.loud.set()
        await events.wait_for(lambda _: len(events.of(SpeechChanged)) == 1, 30)
        mic.loud.clear()
        await events.wait_for(lambda _: len(events.of(SpeechChanged)) == 2, 30)
    changes = [(c.participant, c.speaking, c.source) for c in events.of(SpeechChanged)]
    assert changes == [(A, True, SpeechSource.AUDIO_LEVEL), (A, False, SpeechSource.AUDIO_LEVEL)]
