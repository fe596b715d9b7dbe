"""The VideoRoom as a test's bot sees it, for tests against a real Janus."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from meetbot.clock import MonotonicClock
from meetbot.config.schema import MeetingSettings
from meetbot.connectors.janus import JanusConnector
from meetbot.connectors.janus_session import JanusHandle
from meetbot.connectors.janus_videoroom import Feed, FeedsPublished, room_events
from meetbot.lab.janus_server import JanusCrashed, JanusServer
from meetbot.lab.recorder import DrainingSink, EventRecorder, FrameHook
from meetbot.lab.scenario import Happened, Scenario
from meetbot.lab.stage import render_faces, run_scenario

ROOM = 1234
T = TypeVar("T")
log = logging.getLogger(__name__)


async def first_feed(control: JanusHandle) -> Feed:
    """The first publisher announced to the bot's participant handle `control`."""
    async with asyncio.timeout(10):
        async for event in room_events(control):
            if isinstance(event, FeedsPublished) and event.feeds:
                return event.feeds[0]
    raise AssertionError("no publisher appeared")


class SceneClock:
    """The test meeting's clock: 0 until `start` (the first script's time 0), then seconds
    since. What the bot reports before then (people already there) is stamped 0."""

    def __init__(self) -> None:
        self._clock: MonotonicClock | None = None

    def start(self) -> None:
        if self._clock is None:
            self._clock = MonotonicClock()

    def __call__(self) -> float:
        return 0.0 if self._clock is None else self._clock()


@dataclass
class BotInRoom:
    """A real Janus with room ROOM and the bot's connector, which `start` sets running."""

    janus: JanusServer
    connector: JanusConnector
    clock: SceneClock
    events: EventRecorder
    sink: DrainingSink
    group: asyncio.TaskGroup
    bot: asyncio.Task[None] | None = field(default=None)

    def start(self) -> asyncio.Task[None]:
        self.bot = self.group.create_task(self.connector.run(self.events.emit, self.sink))
        return self.bot

    def play(self, scenario: Scenario) -> asyncio.Task[dict[str, Happened]]:
        """Run `scenario` on the room's clock. Its faces are rendered (seconds of CPU, over
        ten on a busy machine) and a started bot is in the room BEFORE the clock starts, so
        the scripts' first seconds happen where the bot can see them."""
        return self.group.create_task(self._play(scenario))

    async def _play(self, scenario: Scenario) -> dict[str, Happened]:
        book = await render_faces(scenario)
        if self.bot is not None:
            await self.connector.admitted.wait()  # a failed join fails the bot's task instead
        self.clock.start()  # the first play's time 0; a later one plays on the same clock
        return await run_scenario(self.janus.url, ROOM, scenario, self.clock, book=book)


@asynccontextmanager
async def bot_in_room(
    *, on_video_frame: FrameHook | None = None, **room: Any
) -> AsyncIterator[BotInRoom]:
    """Leave the block only once every task started in it has ended (cancel them)."""
    clock, events = SceneClock(), EventRecorder()
    async with JanusServer() as janus:
        await janus.create_room(ROOM, **room)
        settings = MeetingSettings(url=janus.url, room=ROOM)
        async with JanusConnector(settings, clock) as connector, asyncio.TaskGroup() as group:
            sink = DrainingSink(group, on_video_frame=on_video_frame)
            yield BotInRoom(janus, connector, clock, events, sink, group)


async def on_a_janus_that_survives(meeting: Callable[[], Awaitable[T]], tries: int = 3) -> T:
    """Run `meeting` (which starts its own Janus) again when Janus itself crashed under it
    (see JanusCrashed): what the bot did is then unknown, so it is asked of a fresh run."""
    for _ in range(tries - 1):
        try:
            return await meeting()
        except* JanusCrashed as crashed:
            log.warning("Janus crashed; the meeting once more: %s", crashed.exceptions[0])
    return await meeting()
