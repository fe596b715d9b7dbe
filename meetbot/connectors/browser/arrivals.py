"""What the meeting page hands the connector, in order, on one queue (see tab.MeetingTab)."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class Picture:
    track_id: str
    picture: npt.NDArray[np.uint8]  # BGR
    at_ms: float  # when the page took it (its epoch milliseconds)


@dataclass(frozen=True, slots=True)
class PictureReady:
    """A new picture of this track waits in `MeetingTab.take` (only the newest is kept)."""

    track_id: str


@dataclass(frozen=True, slots=True)
class Lost:
    reason: str


Arrival = dict[str, Any] | PictureReady | Lost


class Arrivals:
    """The page's queue, oldest first; what the join looked at goes back in front (put_front).

    Its own small structure rather than asyncio.Queue, which has no public way to put an item
    in front. Unbounded, as the page's messages are: `put_nowait` never waits or refuses.
    """

    def __init__(self) -> None:
        self._items: deque[Arrival] = deque()
        self._more = asyncio.Event()  # set while items wait

    def put_nowait(self, item: Arrival) -> None:
        self._items.append(item)
        self._more.set()

    def put_front(self, item: Arrival) -> None:
        self._items.appendleft(item)
        self._more.set()

    async def get(self) -> Arrival:
        """The oldest item, waiting for one; a get cancelled while waiting takes nothing."""
        while not self._items:
            self._more.clear()
            await self._more.wait()
        return self._items.popleft()
