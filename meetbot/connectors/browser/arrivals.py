"""What the meeting page hands the connector, in order, on one queue (see tab.MeetingTab)."""

from __future__ import annotations

import asyncio
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


class Arrivals(asyncio.Queue[Arrival]):
    """The page's queue; what the join looked at goes back in front (put_front)."""

    def put_front(self, item: Arrival) -> None:
        self._queue.appendleft(item)  # type: ignore[attr-defined]
        self._unfinished_tasks += 1  # type: ignore[attr-defined]
        self._wakeup_next(self._getters)  # type: ignore[attr-defined]
