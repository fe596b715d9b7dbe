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

    __slots__ = ("_arrived", "_frame", "_newest", "_not_before", "dropped", "received", "stale")

    def __init__(self) -> None:
        self._frame: av.VideoFrame | None = None
        self._arrived = asyncio.Event()
        self._newest: av.VideoFrame | None = None  # the newest frame put, for its timestamp
        self._not_before: float | None = None  # seconds after `_newest` a frame must be
        self.received = 0  # frames put in since the track started
        self.dropped = 0  # frames replaced before anyone sampled them
        self.stale = 0  # frames refused as older than `skip_older_than` allowed

    def put(self, frame: av.VideoFrame) -> None:
        if self._not_before is not None and self._newest is not None:
            if _seconds_after(frame, self._newest) < self._not_before:
                self.stale += 1
                return
            self._not_before = None
        if self._frame is not None:
            self.dropped += 1
        self._frame = self._newest = frame
        self.received += 1
        self._arrived.set()

    def skip_older_than(self, seconds: float) -> None:
        """Empty the slot and refuse frames captured less than `seconds` after the newest one
        so far, until a newer one comes. A resumed video needs this: aiortc releases a frame
        only when the next one's packets arrive, so the first frame after a pause is the last
        one from before it (and frames still on their way are as old)."""
        self.take()
        self._not_before = seconds

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


def _seconds_after(frame: av.VideoFrame, earlier: av.VideoFrame) -> float:
    """Capture time of `frame` after `earlier`, from their timestamps. RTP timestamps are 32
    bits and wrap (every ~13 h at 90 kHz, from a random start): the difference is taken modulo
    2**32 and read as signed. Frames without a timestamp count as new."""
    if frame.pts is None or earlier.pts is None or frame.time_base is None:
        return float("inf")
    ticks = (frame.pts - earlier.pts + 2**31) % 2**32 - 2**31
    return float(ticks * frame.time_base)


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
