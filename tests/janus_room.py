"""The VideoRoom as a test's bot sees it, for tests against a real Janus."""

from __future__ import annotations

import asyncio

from meetbot.connectors.janus_session import JanusHandle
from meetbot.connectors.janus_videoroom import Feed, FeedsPublished, room_events


async def first_feed(control: JanusHandle) -> Feed:
    """The first publisher announced to the bot's participant handle `control`."""
    async with asyncio.timeout(10):
        async for event in room_events(control):
            if isinstance(event, FeedsPublished) and event.feeds:
                return event.feeds[0]
    raise AssertionError("no publisher appeared")
