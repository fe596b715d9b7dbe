"""MediaSampler: the TrackSink that turns remote tracks into Observations.

    async with MediaSampler(settings.sampling, settings.detector, clock) as sampler:
        ...  # the connector calls sampler.track_started / track_ended at any time
        await sampler.run(emit)  # samples until cancelled

Per video track: a drain task keeps the newest frame in a slot. One ticker samples every
participant `fps` times a second, phases spread so 48 people are not decoded in one burst.
A sample is decoded, downscaled and judged in a bounded thread pool, one job per participant
at a time; a participant still busy skips the tick. CPU is bounded by the pool, memory by one
frame per participant. A broken stream or failing detector gives that person `unknown`.

In a big room each video is paused at the server between samples (meetbot.media.pausing).
Opted-out people's videos are paused for good.
"""

from __future__ import annotations

import asyncio
import functools
import math
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Self

import av
from aiortc.mediastreams import MediaStreamTrack

from detectors import Detector, DetectorSettings
from meetbot.config.schema import SamplingSettings
from meetbot.connectors.base import Clock, Emit, Valve
from meetbot.domain.events import Observation, ParticipantId, SpeechChanged, unknown
from meetbot.domain.states import TrackKind
from meetbot.media.audio import listen
from meetbot.media.pausing import Pausing, shut
from meetbot.media.slot import drain
from meetbot.media.watch import DetectorFactory, Watch, close, sample

THREAD_PREFIX = "meetbot-detect"
_GOLDEN = (math.sqrt(5) - 1) / 2  # successive newcomers land in the widest gap of the period


class MediaSampler:
    def __init__(
        self,
        sampling: SamplingSettings,
        detector: DetectorSettings,
        clock: Clock,
        *,
        detector_factory: DetectorFactory = Detector,
        speech_from_audio: bool | None = None,
    ) -> None:
        # SamplingSettings refuses bad values itself (fps in (0, 10], threads >= 1, ...).
        self.sampling = sampling
        self.detector_settings = detector
        self.clock = clock
        self.make_detector = detector_factory
        self.speech_from_audio = (
            sampling.speech_from_audio if speech_from_audio is None else speech_from_audio
        )
        self.period = 1.0 / sampling.fps
        self.watches: dict[ParticipantId, Watch] = {}
        self.pausing = Pausing(sampling, self.period, lambda: len(self.watches))
        self.excluded: set[ParticipantId] = set()
        self._retired: list[Watch] = []  # gone tracks, closed for sure on exit
        self.analysed = 0  # samples judged since the start, all participants (for bench/logs)
        self.skipped = 0  # samples skipped because that person's detector was still busy
        self._audio: dict[ParticipantId, tuple[asyncio.Task[str], MediaStreamTrack]] = {}
        self._readers: set[asyncio.Task[str]] = set()  # every drain, cancelled on exit
        self._emit: Emit | None = None
        self._newcomer = asyncio.Event()
        self._arrivals = 0
        self._group = asyncio.TaskGroup()
        self._pool = ThreadPoolExecutor(sampling.detector_threads, thread_name_prefix=THREAD_PREFIX)

    # --- lifetime ---
    async def __aenter__(self) -> Self:
        await self._group.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for task in list(self._readers):
            task.cancel()
        try:
            await self._group.__aexit__(exc_type, exc, tb)
        except BaseExceptionGroup as group:
            # The TaskGroup wraps the body's own exception (a failed join, say) in a group;
            # when nothing else failed, let that one propagate as it is: one line, not a tree.
            if exc is None or list(group.exceptions) != [exc]:
                raise
        finally:
            # jobs already in a thread finish first; then no thread touches a detector
            await asyncio.to_thread(self._pool.shutdown, wait=True, cancel_futures=True)
            for watch in [*self.watches.values(), *self._retired]:
                close(watch)  # idempotent: most retired ones were closed already
            self.watches.clear()
            self._retired.clear()

    # --- TrackSink ---
    async def track_started(
        self,
        participant: ParticipantId,
        kind: TrackKind,
        track: MediaStreamTrack,
        valve: Valve | None = None,
    ) -> None:
        await self.track_ended(participant, kind)  # a renegotiated track replaces the old one
        if kind is TrackKind.AUDIO:
            hear = self.speech_from_audio and participant not in self.excluded
            on_speech = self._heard if hear else None
            task = self._read(listen(participant, track, self.sampling, self.clock, on_speech))
            self._audio[participant] = (task, track)
            return
        if participant in self.excluded:
            self._read(drain(track, None))  # read, or aiortc buffers it forever; nothing kept
            if valve is not None:
                self._group.create_task(shut(valve))
            return
        loop = asyncio.get_running_loop()
        phase = (self._arrivals * _GOLDEN) % 1.0
        self._arrivals += 1
        due = loop.time() + phase * self.period
        watch = Watch(participant, track, due, valve)
        watch.drain = self._read(drain(track, watch.slot))
        watch.drain.add_done_callback(functools.partial(self._drained, watch))
        self.watches[participant] = watch
        self._newcomer.set()

    async def track_ended(self, participant: ParticipantId, kind: TrackKind) -> None:
        if kind is TrackKind.AUDIO:
            audio = self._audio.pop(participant, None)
            if audio is not None:
                audio[0].cancel()
            return
        watch = self.watches.pop(participant, None)
        if watch is not None:
            self._retire(watch)

    # --- what the session tells us ---
    def exclude(self, participant: ParticipantId) -> None:
        """Never analyse this participant again (opted out); their detector is dropped now."""
        self.excluded.add(participant)
        # the tracks are still read (aiortc would buffer them forever) but into nothing
        watch = self.watches.pop(participant, None)
        if watch is not None:
            self._retire(watch)
            self._read(drain(watch.track, None))
            if watch.valve is not None:
                self._group.create_task(shut(watch.valve))
        audio = self._audio.pop(participant, None)
        if audio is not None:
            audio[0].cancel()
            self._read(drain(audio[1], None))

    def speaking(self, participant: ParticipantId, speaking: bool) -> None:
        """Hint from speech events: the detector learns a person's usual pose while they talk."""
        watch = self.watches.get(participant)
        if watch is not None:
            watch.speaking = speaking

    # --- sampling ---
    async def run(self, emit: Emit) -> None:
        """Sample every watched participant and emit Observations until cancelled."""
        self._emit = emit
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            for watch in list(self.watches.values()):
                if self.pausing.start(watch) <= now:
                    due = max(watch.due, now)
                    # catch up without bursts: skipped periods are skipped, not made up
                    watch.due += self.period * max(1, math.ceil((now - watch.due) / self.period))
                    self._tick(watch, due, emit)
            starts = (self.pausing.start(w) for w in self.watches.values())
            nearest = min(starts, default=now + self.period)
            self._newcomer.clear()
            try:
                async with asyncio.timeout(max(0.0, nearest - loop.time())):
                    await self._newcomer.wait()
            except TimeoutError:
                pass

    @property
    def resumed(self) -> int:
        """Videos resumed at the server for a sample so far (for bench/logs)."""
        return self.pausing.resumed

    def _tick(self, watch: Watch, due: float, emit: Emit) -> None:
        if watch.busy:
            watch.skipped += 1  # the detector is behind: this sample is skipped, not queued
            self.skipped += 1
            return
        if watch.broken:
            at = self.clock()
            self._group.create_task(_send(emit, unknown(watch.participant, at, watch.broken)))
            return
        watch.busy = True
        self._group.create_task(self._sample(watch, due, emit))

    async def _sample(self, watch: Watch, due: float, emit: Emit) -> None:
        """Take the sample due at loop time `due` (resuming a paused video first), judge it."""
        if watch.settling is not None:
            await watch.settling  # the last pause first: this sample's resume must follow it
        frame = await self.pausing.take(watch, due)
        at = self.clock()
        self._newcomer.set()  # the ticker looks again: a page's next resume may come earlier
        # The pause goes out while the picture is judged: the observation never waits for the
        # server's (or the page's) answer to it.
        watch.settling = self._group.create_task(self.pausing.settle(watch))
        await self._judge(watch, frame, at, emit)

    async def _judge(
        self, watch: Watch, frame: av.VideoFrame | None, at: float, emit: Emit
    ) -> None:
        loop = asyncio.get_running_loop()
        observation = await loop.run_in_executor(
            self._pool,
            sample,
            watch,
            frame,
            at,
            self.make_detector,
            self.detector_settings,
            self.sampling.max_width,
        )
        # Cancelled above (only when the sampler closes), the thread may still be judging: the
        # detector is then closed in __aexit__, after the pool has stopped, never concurrently.
        watch.busy = False
        if watch.retired:
            await loop.run_in_executor(self._pool, close, watch)
            return
        watch.analysed += 1
        self.analysed += 1
        await emit(observation)

    def _read(self, reader: Coroutine[object, object, str]) -> asyncio.Task[str]:
        task = self._group.create_task(reader)
        self._readers.add(task)
        task.add_done_callback(self._readers.discard)
        return task

    def _retire(self, watch: Watch) -> None:
        watch.retired = True
        watch.slot.take()  # nothing of a gone track is kept
        self._retired.append(watch)
        if watch.drain is not None:
            watch.drain.cancel()
        if not watch.busy and watch.detector is not None:
            watch.busy = True  # no tick can start a job on it any more
            self._group.create_task(self._close(watch))

    async def _close(self, watch: Watch) -> None:
        await asyncio.get_running_loop().run_in_executor(self._pool, close, watch)

    def _drained(self, watch: Watch, task: asyncio.Task[str]) -> None:
        if not task.cancelled() and not watch.retired:
            watch.broken = "stream_" + task.result().split(":")[0]

    async def _heard(self, change: SpeechChanged) -> None:
        self.speaking(change.participant, change.speaking)
        if self._emit is not None:
            await self._emit(change)


async def _send(emit: Emit, event: Observation) -> None:
    await emit(event)
