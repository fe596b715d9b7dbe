"""The VideoRoom as a test's bot sees it, for tests against a real Janus."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from meetbot.clock import MonotonicClock
from meetbot.config.schema import MeetingSettings
from meetbot.connectors.janus import JanusConnector
from meetbot.connectors.janus_session import JanusHandle
from meetbot.connectors.janus_videoroom import Feed, FeedsPublished, room_events
from meetbot.lab.janus_server import JanusServer
from meetbot.lab.recorder import DrainingSink, EventRecorder
from meetbot.lab.scenario import Happened, Scenario
from meetbot.lab.stage import run_scenario

ROOM = 1234


async def first_feed(control: JanusHandle) -> Feed:
    """The first publisher announced to the bot's participant handle `control`."""
    async with asyncio.timeout(10):
        async for event in room_events(control):
            if isinstance(event, FeedsPublished) and event.feeds:
                return event.feeds[0]
    raise AssertionError("no publisher appeared")


@dataclass
class BotInRoom:
    """A real Janus with room ROOM and the bot's connector, which `start` sets running."""

    janus: JanusServer
    connector: JanusConnector
    clock: MonotonicClock
    events: EventRecorder
    sink: DrainingSink
    group: asyncio.TaskGroup

    def start(self) -> asyncio.Task[None]:
        return self.group.create_task(self.connector.run(self.events.emit, self.sink))

    def play(self, scenario: Scenario) -> asyncio.Task[dict[str, Happened]]:
        return self.group.create_task(run_scenario(self.janus.url, ROOM, scenario, self.clock))


@asynccontextmanager
async def bot_in_room(**room: Any) -> AsyncIterator[BotInRoom]:
    """Leave the block only once every task started in it has ended (cancel them)."""
    clock, events = MonotonicClock(), EventRecorder()
    async with JanusServer() as janus:
        await janus.create_room(ROOM, **room)
        settings = MeetingSettings(url=janus.url, room=ROOM)
        async with JanusConnector(settings, clock) as connector, asyncio.TaskGroup() as group:
            yield BotInRoom(janus, connector, clock, events, DrainingSink(group), group)
