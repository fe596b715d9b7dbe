"""A video track whose pictures arrive already sampled, e.g. from a browser page.

A connector hands the sink tracks (meetbot.connectors.base.TrackSink): an aiortc track from a
WebRTC connection, or this one, which a connector makes and feeds when it gets a few pictures a
second from elsewhere (the browser bridge). It lives with the connectors' protocols, not in
meetbot.media, because the connector builds it; the sampler (meetbot.media.slot.drain) reads it
like any track, so the detectors, timeline, store and reports work unchanged.

Only the newest picture is held: one that nobody read is replaced, never queued. A picture's
`pts` is its capture time in milliseconds (time base 1/1000), as RTP timestamps are for aiortc
frames, so the slot's capture-time logic applies.
"""

from __future__ import annotations

import asyncio
from fractions import Fraction

import av
import numpy as np
import numpy.typing as npt
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

MILLISECONDS = Fraction(1, 1000)


class PictureTrack(MediaStreamTrack):
    """A video MediaStreamTrack fed with `offer()`; `stop()` ends it for the reader."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self._frame: av.VideoFrame | None = None
        self._arrived = asyncio.Event()
        self.offered = 0  # pictures offered since the start (for probe and the bench)

    def offer(self, picture: npt.NDArray[np.uint8], captured_ms: float, *, bgr: bool) -> None:
        """Hold `picture` (HxWx3 uint8) as the newest frame, captured at `captured_ms` on any
        millisecond clock that only moves forward."""
        if self.readyState != "live":
            return
        frame = av.VideoFrame.from_ndarray(picture, format="bgr24" if bgr else "rgb24")
        frame.pts = int(captured_ms)
        frame.time_base = MILLISECONDS
        self._frame = frame
        self.offered += 1
        self._arrived.set()

    async def recv(self) -> av.VideoFrame:
        while self._frame is None:
            if self.readyState != "live":
                raise MediaStreamError
            await self._arrived.wait()
            self._arrived.clear()
        frame, self._frame = self._frame, None
        return frame

    def stop(self) -> None:
        super().stop()
        self._frame = None
        self._arrived.set()  # wake the reader so it sees the end
