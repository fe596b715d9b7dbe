"""The latest-frame slot and the drain that fills it.

aiortc queues every received frame without bound (aiortc#554), so each accepted track is read
as fast as it arrives. The reader keeps only the newest frame: a slow detector makes us skip
samples, never buffer them, so memory stays one frame per participant whatever happens.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

Gate = Callable[[av.VideoFrame], bool]  # may this frame be sampled? (see FrameSlot.admit)


@dataclass(frozen=True, slots=True)
class Stamp:
    """When a frame was captured, on its sender's clock (RTP timestamp and its time base)."""

    pts: int
    time_base: Fraction

    @classmethod
    def of(cls, frame: av.VideoFrame) -> Stamp | None:
        if frame.pts is None or frame.time_base is None:
            return None
        return cls(frame.pts, frame.time_base)

    def seconds_to(self, frame: av.VideoFrame) -> float:
        """How much later than this stamp `frame` was captured (inf without a timestamp)."""
        if frame.pts is None:
            return float("inf")
        return float(ticks_after(frame.pts, self.pts) * self.time_base)


def ticks_after(pts: int, earlier: int) -> int:
    """`pts` minus `earlier`, in ticks. RTP timestamps are 32 bits and wrap (every ~13 h at
    90 kHz, from a random start): the difference is taken modulo 2**32, read as signed."""
    return (pts - earlier + 2**31) % 2**32 - 2**31


class FrameSlot:
    """Holds at most one frame: the newest. Taking it empties the slot."""

    __slots__ = ("_arrived", "_frame", "_gate", "dropped", "newest", "received", "refused")

    def __init__(self) -> None:
        self._frame: av.VideoFrame | None = None
        self._arrived = asyncio.Event()
        self._gate: Gate | None = None
        self.newest: Stamp | None = None  # capture time of the newest frame put
        self.received = 0  # frames put in since the track started
        self.dropped = 0  # frames replaced before anyone sampled them
        self.refused = 0  # frames the gate kept out

    def put(self, frame: av.VideoFrame) -> None:
        if self._gate is not None:
            if not self._gate(frame):
                self.refused += 1
                return
            self._gate = None  # the frames after an admitted one are as good
        if self._frame is not None:
            self.dropped += 1
        self._frame = frame
        self.newest = Stamp.of(frame)
        self.received += 1
        self._arrived.set()

    def admit(self, gate: Gate | None) -> None:
        """Empty the slot and keep frames out until one passes `gate` (None: let all in).
        A resumed video needs this: its first frames are from before the pause or decoded on
        a picture from before it (see meetbot.media.pausing)."""
        self.take()
        self._gate = gate

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
