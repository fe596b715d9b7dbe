"""The latest-frame slot and the drain that fills it.

aiortc queues every received frame without bound (aiortc#554), so each accepted track is read
as fast as it arrives. The reader keeps only the newest frame: a slow detector makes us skip
samples, never buffer them, so memory stays one frame per participant whatever happens.
"""

from __future__ import annotations

import asyncio
import contextlib

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack


class FrameSlot:
    """Holds at most one frame: the newest. Taking it empties the slot."""

    __slots__ = ("_arrived", "_frame", "dropped", "received")

    def __init__(self) -> None:
        self._frame: av.VideoFrame | None = None
        self._arrived = asyncio.Event()
        self.received = 0  # frames put in since the track started
        self.dropped = 0  # frames replaced before anyone sampled them

    def put(self, frame: av.VideoFrame) -> None:
        if self._frame is not None:
            self.dropped += 1
        self._frame = frame
        self.received += 1
        self._arrived.set()

    def take(self) -> av.VideoFrame | None:
        """The newest frame since the last take, or None when none arrived."""
        frame, self._frame = self._frame, None
        self._arrived.clear()
        return frame

    async def wait(self, timeout_s: float) -> av.VideoFrame | None:
        """Take the newest frame, waiting up to `timeout_s` for one if the slot is empty."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                await self._arrived.wait()
        return self.take()


async def drain(track: MediaStreamTrack, slot: FrameSlot | None) -> str:
    """Read `track` until it ends; keep the newest frame in `slot` (None: read and drop).

    Returns why it stopped: "ended" for a normal end, "broken: <error>" otherwise. Never raises
    (except cancellation), so one broken stream cannot take the others down.
    """
    try:
        while True:
            frame = await track.recv()
            if slot is not None and isinstance(frame, av.VideoFrame):
                slot.put(frame)
    except MediaStreamError:
        return "ended"
    except Exception as exc:  # any decoder/transport failure is this track's end
        return f"broken: {type(exc).__name__}: {exc}"
