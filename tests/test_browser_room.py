"""The browser room's reading of the page's signalling, without a browser: speech is stamped
when the page heard it, not when this process got round to reading it.

On a busy machine the page's messages can wait in Playwright's pipe and the event loop; a
turn stamped on reading would start late by that wait (a different one for every turn), which
is what moved one speaker's turn 2 s against the rest in the browser demo under load.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from meetbot.clock import ManualClock
from meetbot.config.schema import SamplingSettings
from meetbot.connectors.browser.room import LONGEST_WAIT_S, Room
from meetbot.domain.events import Event, ParticipantId, SpeechChanged
from meetbot.domain.states import SpeechSource, TrackKind
from meetbot.lab.recorder import EventRecorder

FEED = 7


class NoTracks:
    """The sink: these tests send no pictures, so no track ever reaches it."""

    async def track_started(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("no track was expected")

    async def track_ended(self, participant: ParticipantId, kind: TrackKind) -> None:
        raise AssertionError("no track was expected")


def room(clock: ManualClock, recorder: EventRecorder) -> Room:
    return Room(
        own_name="meetbot",
        sampling=SamplingSettings(),
        clock=clock,
        emit=recorder.emit,
        sink=NoTracks(),
        tiles_mode=False,
        present=set(),
    )


def janus(data: dict[str, Any], *, waited_s: float | None) -> dict[str, Any]:
    """A signalling message as core.js posts it, `waited_s` ago (no stamp when None)."""
    message: dict[str, Any] = {"type": "janus", "data": data}
    if waited_s is not None:
        message["sent"] = (time.time() - waited_s) * 1000
    return message


def speech(events: list[Event]) -> list[tuple[float, bool]]:
    return [(e.at, e.speaking) for e in events if isinstance(e, SpeechChanged)]


async def joined(clock: ManualClock) -> tuple[Room, EventRecorder]:
    recorder = EventRecorder()
    r = room(clock, recorder)
    published = {"videoroom": "event", "publishers": [{"id": FEED, "display": "Ben Wanderer"}]}
    await r.handle(janus(published, waited_s=None))
    return r, recorder


async def test_talking_is_stamped_when_the_page_heard_it() -> None:
    clock = ManualClock(100.0)
    r, recorder = await joined(clock)
    await r.handle(janus({"videoroom": "talking", "id": FEED}, waited_s=1.5))
    clock.advance(5.0)
    await r.handle(janus({"videoroom": "stopped-talking", "id": FEED}, waited_s=0.25))
    (start, on), (end, off) = speech(recorder.events)
    assert on
    assert not off
    assert 98.4 < start < 98.6  # read at 100 s, heard 1.5 s before
    assert 104.65 < end < 104.85
    assert all(
        e.source is SpeechSource.PLATFORM for e in recorder.events if isinstance(e, SpeechChanged)
    )


async def test_a_wait_that_cannot_be_is_not_believed() -> None:
    clock = ManualClock(100.0)
    r, recorder = await joined(clock)
    await r.handle(janus({"videoroom": "talking", "id": FEED}, waited_s=3600.0))  # frozen page
    clock.advance(20.0)
    await r.handle(janus({"videoroom": "stopped-talking", "id": FEED}, waited_s=-30.0))  # step
    clock.advance(5.0)
    await r.handle(janus({"videoroom": "talking", "id": FEED}, waited_s=None))  # no stamp
    assert speech(recorder.events) == [
        (100.0 - LONGEST_WAIT_S, True),
        (120.0, False),
        (125.0, True),
    ]


async def test_a_change_never_goes_before_the_one_it_follows() -> None:
    clock = ManualClock(100.0)
    r, recorder = await joined(clock)
    await r.handle(janus({"videoroom": "talking", "id": FEED}, waited_s=0.0))
    await r.handle(janus({"videoroom": "stopped-talking", "id": FEED}, waited_s=2.0))
    (start, _), (end, _) = speech(recorder.events)
    assert start == pytest.approx(100.0, abs=0.05)
    assert end == start  # heard 2 s before the start was read: not before the start
