"""The demo meeting watched through the browser bridge (`meetbot demo --platform web`).

The same private Janus and scripted participants as `meetbot demo`; the bot is a real Chromium
on Janus's own demo client (janus-demos, served on loopback with meetbot.lab.demo_pages). The
bot joins first (Chromium takes seconds to start), the session clock starts once it is in the
room, and the scripts count from there, so the meeting plays as it does with the aiortc bot.
"""

from __future__ import annotations

import asyncio
from typing import TextIO

from meetbot import app, config
from meetbot.clock import MonotonicClock
from meetbot.config.schema import Settings
from meetbot.connectors.browser.connector import BrowserConnector
from meetbot.domain.record import SessionRecord
from meetbot.lab.frames import FrameBook
from meetbot.lab.scenario import Scenario
from meetbot.lab.stage import run_scenario
from meetbot.store import Store


async def watch_in_browser(
    settings: Settings,
    store: Store,
    janus_url: str,
    room: int,
    plan: Scenario,
    out: TextIO,
    book: FrameBook,
) -> SessionRecord:
    """Join with Chromium, then play the scripts (their faces in `book`, rendered already)
    and watch them until the plan's end."""
    connector = BrowserConnector(settings, MonotonicClock(), home=config.data_dir())
    print(f"meetbot: joining through Chromium as {settings.meeting.display_name!r}", file=out)
    async with connector:
        clock = MonotonicClock()
        connector.clock = clock  # read from run() on: nothing was stamped while joining
        async with asyncio.TaskGroup() as group:
            people = group.create_task(run_scenario(janus_url, room, plan, clock, book=book))
            record = await app.watch(
                settings,
                store,
                clock,
                until_s=plan.duration_s + 1.0,
                stream=out,
                connector=connector,
            )
            await people
    return record
