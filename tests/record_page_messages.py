"""Record what the page scripts post in real meetings, for tests/test_browser_wire.py to replay.

    scripts/in-sandbox .venv/bin/python -m tests.record_page_messages

Each flow runs a bridge bot on one of Janus's own web clients (real Chromium, Janus and
janus-demos) while scripted aiortc participants join, talk, stop publishing and leave; every
JSON message the page posts is written, as posted, one per line to
tests/data/page_messages/<flow>.jsonl, and the names the room said joined to <flow>.names.
Pictures are binary messages on the link, never JSON: none is written.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
import tempfile
from pathlib import Path
from typing import Any, ClassVar

from meetbot.clock import MonotonicClock
from meetbot.config.schema import Capture, Settings
from meetbot.connectors.browser.connector import BrowserConnector
from meetbot.connectors.browser.tab import MeetingTab
from meetbot.domain.events import ParticipantJoined
from meetbot.lab import demo
from meetbot.lab.demo_pages import BOT_NAME, PAGES, DemoPages
from meetbot.lab.janus_server import JanusServer
from meetbot.lab.recorder import DrainingSink, EventRecorder
from meetbot.lab.scenario import Scenario, Script
from meetbot.lab.stage import run_scenario

OUT = Path(__file__).parent / "data" / "page_messages"

# Four people: one talks twice, one stops publishing for a while, one never publishes (an
# attendee), one leaves before the end.
PEOPLE = Scenario(
    (
        Script("a", "Amy Talker", speaks=((2.0, 6.0), (9.0, 12.0))),
        Script("b", "Bea Pauser", unpublished=((5.0, 9.0),)),
        Script("c", "Cal Listener", publishes=False),
        Script("d", "Dan Leaver", joins_at=1.0, leaves_at=11.0),
    ),
    duration_s=16.0,
    fps=5,
)


@dataclasses.dataclass(frozen=True)
class Flow:
    name: str
    platform: str
    capture: Capture = Capture.PROFILE
    speech_from_audio: bool = False


FLOWS = (
    Flow("videoroom_tracks", "janus_videoroom", speech_from_audio=True),
    Flow("mvideoroom_tracks", "janus_mvideoroom"),
    Flow("videoroom_tiles", "janus_videoroom", capture=Capture.TILES),
)


class RecordingTab(MeetingTab):
    posted: ClassVar[list[dict[str, Any]]] = []

    def _on_message(self, message: dict[str, Any]) -> None:
        RecordingTab.posted.append(message)
        super()._on_message(message)


def settings(flow: Flow, pages: DemoPages, room: int) -> Settings:
    base = demo.settings(demo.PERSONAS)
    meeting = dataclasses.replace(
        base.meeting,
        platform=flow.platform,
        url=pages.url(PAGES.get(flow.platform, "videoroomtest.html")),
        room=room,
        display_name=BOT_NAME,
    )
    browser = dataclasses.replace(base.browser, capture=flow.capture, page_size=2, page_dwell_s=3)
    sampling = dataclasses.replace(base.sampling, speech_from_audio=flow.speech_from_audio)
    return dataclasses.replace(base, meeting=meeting, browser=browser, sampling=sampling)


async def record(flow: Flow, janus: JanusServer, pages: DemoPages, room: int) -> None:
    await janus.create_room(room)
    RecordingTab.posted = []
    BrowserConnector.tab_type = RecordingTab
    events = EventRecorder()
    with tempfile.TemporaryDirectory() as home:
        async with BrowserConnector(
            settings(flow, pages, room), MonotonicClock(), home=Path(home)
        ) as bot:
            clock = MonotonicClock()
            bot.clock = clock
            async with asyncio.TaskGroup() as group:
                watching = group.create_task(bot.run(events.emit, DrainingSink(group)))
                await run_scenario(janus.url, room, PEOPLE, clock)
                watching.cancel()
    lines = [json.dumps(m, sort_keys=True) for m in RecordingTab.posted]
    (OUT / f"{flow.name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    names = sorted({e.display_name for e in events.of(ParticipantJoined)})
    (OUT / f"{flow.name}.names").write_text("\n".join(names) + "\n", encoding="utf-8")
    print(f"{flow.name}: {len(lines)} messages, joined: {', '.join(names)}", file=sys.stderr)


async def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    async with JanusServer() as janus, DemoPages(janus.url) as pages:
        for n, flow in enumerate(FLOWS):
            await record(flow, janus, pages, 5900 + n)


if __name__ == "__main__":
    asyncio.run(main())
