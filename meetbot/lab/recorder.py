"""What the bot observed, kept for assertions: its events and the tracks it was handed.

    async with asyncio.TaskGroup() as group:
        events, sink = EventRecorder(), DrainingSink(group)
        group.create_task(connector.run(events.emit, sink))
        await events.wait_for(lambda seen: any(isinstance(e, MeetingEnded) for e in seen))

DrainingSink stands in for meetbot.media where only the connector is under test: it drains
every track (aiortc queues frames without bound otherwise), counts frames and can hand every
n-th video frame to a callback. Frames stay in memory and are dropped at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from meetbot.connectors.base import Valve
from meetbot.domain.events import Event, ParticipantId
from meetbot.domain.states import TrackKind

log = logging.getLogger(__name__)

E = TypeVar("E")
FrameHook = Callable[[ParticipantId, object], Awaitable[None]]


class EventRecorder:
    """An `emit` that keeps every event and lets a test wait for a condition on them."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Condition()

    async def emit(self, event: Event) -> None:
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    async def wait_for(
        self, predicate: Callable[[list[Event]], bool], timeout_s: float = 10.0
    ) -> None:
        """Return once `predicate(events)` holds; TimeoutError after `timeout_s`."""
        async with asyncio.timeout(timeout_s), self._changed:
            await self._changed.wait_for(lambda: predicate(self.events))

    def of(self, kind: type[E]) -> list[E]:
        """The recorded events of one type, in order."""
        return [e for e in self.events if isinstance(e, kind)]


class DrainingSink:
    """A TrackSink that drains every track in `group` and counts frames per participant."""

    def __init__(
        self,
        group: asyncio.TaskGroup,
        *,
        on_video_frame: FrameHook | None = None,
        every_s: float = 1.0,
    ) -> None:
        self.group = group
        self.on_video_frame = on_video_frame
        self.every_s = every_s
        self.frames: Counter[tuple[ParticipantId, TrackKind]] = Counter()
        self.started: list[tuple[ParticipantId, TrackKind]] = []
        self.ended: list[tuple[ParticipantId, TrackKind]] = []
        self._flowing = asyncio.Condition()
        self._drains: dict[tuple[ParticipantId, TrackKind], asyncio.Task[None]] = {}

    async def track_started(
        self,
        participant: ParticipantId,
        kind: TrackKind,
        track: MediaStreamTrack,
        valve: Valve | None = None,
    ) -> None:
        self.started.append((participant, kind))
        self._drains[participant, kind] = self.group.create_task(
            self._drain(participant, kind, track)
        )

    async def track_ended(self, participant: ParticipantId, kind: TrackKind) -> None:
        # Stop draining here, not only on MediaStreamError: aiortc never ends the remote
        # tracks of a connection closed before its transport came up.
        self.ended.append((participant, kind))
        drain = self._drains.pop((participant, kind), None)
        if drain is not None:
            drain.cancel()

    async def wait_for_frames(
        self, participant: ParticipantId, kind: TrackKind, count: int, timeout_s: float = 10.0
    ) -> None:
        async with asyncio.timeout(timeout_s), self._flowing:
            await self._flowing.wait_for(lambda: self.frames[participant, kind] >= count)

    async def _drain(
        self, participant: ParticipantId, kind: TrackKind, track: MediaStreamTrack
    ) -> None:
        loop = asyncio.get_running_loop()
        next_hook = 0.0
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            async with self._flowing:
                self.frames[participant, kind] += 1
                self._flowing.notify_all()
            hook = self.on_video_frame if kind is TrackKind.VIDEO else None
            if hook is not None and loop.time() >= next_hook:
                next_hook = loop.time() + self.every_s
                await hook(participant, frame)
