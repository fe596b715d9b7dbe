"""What every meeting platform offers meetbot, whatever its signalling.

A connector joins one room as a visible participant that never publishes, turns the platform's
signals into domain events (joins, leaves, speech) and hands each remote media track to a
`TrackSink` (meetbot.media), which samples it. The caller owns the lifetime:

    async with JanusConnector(settings.meeting, clock) as conn:
        await conn.run(emit, sink)   # returns when the meeting ends or is cancelled
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self

from aiortc.mediastreams import MediaStreamTrack

from meetbot.domain.events import Event, ParticipantId
from meetbot.domain.states import TrackKind

Emit = Callable[[Event], Awaitable[None]]


class Clock(Protocol):
    """Seconds since the session started. Injected so tests and replays control time."""

    def __call__(self) -> float: ...


@dataclass(frozen=True, slots=True)
class Keyframe:
    """The newest keyframe a video track received."""

    seen: int  # keyframes received since the track started
    timestamp: int  # its RTP timestamp: the `pts` of the frame it decodes to


class Valve(Protocol):
    """Stops and restarts one remote video track at the media server, so frames nobody samples
    are neither sent to the bot, received nor decoded.

    After `resume()` the server asks the sender for a keyframe; frames that arrive before it
    are inter frames decoded on a picture from before the pause: smeared, not to be judged.
    `last_keyframe()` says which keyframe came last, when `sees_keyframes` (the codec is one
    the platform can spot keyframes in). Pause and resume raise ConnectError when the server
    cannot be asked (the track is then about to end anyway).

    An `instant` valve costs nothing to turn and brings a clean picture at once (a browser
    page that encodes a picture only when asked): it is worth using in a room of any size.
    """

    sees_keyframes: bool
    instant: bool

    async def pause(self) -> None: ...

    async def resume(self) -> None: ...

    def last_keyframe(self) -> Keyframe | None: ...


class TrackSink(Protocol):
    """Receives remote tracks. Must start draining at once: aiortc's track queue is unbounded.
    `valve` (None when the platform has none) lets the sink pause a video track it is not
    sampling."""

    async def track_started(
        self,
        participant: ParticipantId,
        kind: TrackKind,
        track: MediaStreamTrack,
        valve: Valve | None = None,
    ) -> None: ...

    async def track_ended(self, participant: ParticipantId, kind: TrackKind) -> None: ...


class Connector(Protocol):
    # Set once the bot is in the meeting (past any lobby): a meeting that ends before that was
    # never joined, and nothing of it is stored (meetbot.session).
    admitted: asyncio.Event

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def run(self, emit: Emit, sink: TrackSink) -> None:
        """Join, report everything until the meeting ends or the task is cancelled, then leave.

        Raises ConnectError when the room cannot be joined at all (unknown room, bad pin, server
        unreachable after the join timeout). Drops after a successful join are recovered inside
        with ConnectionLost / ConnectionRestored events.
        """
        ...
