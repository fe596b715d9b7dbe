"""`meetbot probe`: join through the browser, analyse nothing, say what the profile sees.

An organiser runs it a minute before the real meeting; a maintainer mends a profile from it.
Pictures are counted and dropped (never judged, never kept); events are only tallied.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from meetbot.clock import MonotonicClock
from meetbot.config.schema import Settings
from meetbot.connectors.base import Valve
from meetbot.connectors.browser.connector import BrowserConnector
from meetbot.connectors.browser.outline import PageOutlines, outlining
from meetbot.domain.events import (
    Event,
    ParticipantId,
    ParticipantJoined,
    ParticipantLeft,
    SpeechChanged,
)
from meetbot.domain.states import TrackKind


@dataclass
class Tally:
    """An emit and a sink that only count."""

    names: dict[ParticipantId, str] = field(default_factory=dict)
    left: set[ParticipantId] = field(default_factory=set)
    pictures: Counter[ParticipantId] = field(default_factory=Counter)
    speaking: Counter[ParticipantId] = field(default_factory=Counter)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def emit(self, event: Event) -> None:
        match event:
            case ParticipantJoined(participant=who, display_name=name):
                self.names[who] = name
                self.left.discard(who)
            case ParticipantLeft(participant=who):
                self.left.add(who)
            case SpeechChanged(participant=who, speaking=True):
                self.speaking[who] += 1

    async def track_started(
        self,
        participant: ParticipantId,
        kind: TrackKind,
        track: MediaStreamTrack,
        valve: Valve | None = None,
    ) -> None:
        task = asyncio.get_running_loop().create_task(self._count(participant, track))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def track_ended(self, participant: ParticipantId, kind: TrackKind) -> None:
        return None

    async def _count(self, who: ParticipantId, track: MediaStreamTrack) -> None:
        try:
            while True:
                await track.recv()  # counted and dropped at once
                self.pictures[who] += 1
        except MediaStreamError:
            return


async def probe(
    settings: Settings, seconds: float, home: Path, save_page: Path | None = None
) -> dict[str, Any]:
    """Join, watch `seconds`, leave; what the profile saw, JSON-ready. With `save_page`, an
    outline of each join screen goes there (outline.py: structure, no people, no pictures)."""
    tally = Tally()
    connector = BrowserConnector(settings, MonotonicClock(), home=home)
    if save_page is not None:
        names = [n for m in settings.roster for n in (m.name, *m.aliases, *m.substitutes)]
        connector.tab_type = outlining(PageOutlines(save_page, names))
    async with connector:
        clock = MonotonicClock()
        connector.clock = clock
        run = asyncio.get_running_loop().create_task(connector.run(tally.emit, tally))
        done, _ = await asyncio.wait([run], timeout=seconds)
        if not done:
            run.cancel()  # time is up: stop watching (our own cancellation still propagates)
            await asyncio.wait([run])
        elif run.exception() is not None:
            raise run.exception()  # type: ignore[misc]
        watched = max(clock(), 1e-3)
        for task in list(tally.tasks):
            task.cancel()
        room = connector.room
        tab = connector.tab
        link = None if tab is None else tab.link_open  # gone once the browser is closed
        share = room.observed_share() if room is not None else {}
    profile = connector.profile
    return {
        "platform": profile.name,
        "experimental": profile.experimental,
        "admitted": connector.admitted.is_set(),
        "capture": connector.capture.value,
        "chat": _chat(connector.announced, bool(profile.chat)),
        "microphone_and_camera": connector.media.value,
        "ended_by": None if connector.ended_by is None else connector.ended_by.value,
        "seconds": round(watched, 1),
        "pictures_from_page": 0 if tab is None else tab.pictures,
        "page_link": _page_link(link),
        "people": [
            {
                "name": name,
                "here": who not in tally.left,
                "pictures": tally.pictures[who],
                "pictures_per_s": round(tally.pictures[who] / watched, 2),
                "speaking_turns": tally.speaking[who],
                "observed_share": round(share[name], 2) if name in share else None,
            }
            for who, name in sorted(tally.names.items(), key=lambda item: item[1])
        ],
    }


def _page_link(opened: bool | None) -> str:
    if opened is None:
        return "bindings"
    return "open" if opened else "blocked"


def _chat(announced: bool, has_chat: bool) -> str:
    if announced:
        return "posted"
    return "failed" if has_chat else "none in this client"


def describe(result: dict[str, Any]) -> str:
    """The probe's findings for a person to read."""
    lines = [
        f"{result['platform']}{' (experimental profile)' if result['experimental'] else ''}: "
        f"{'admitted' if result['admitted'] else 'NOT admitted'}; capture {result['capture']}; "
        f"announcement in the chat: {result['chat']}",
        f"watched {result['seconds']} s; {result['pictures_from_page']} pictures from the page",
        f"the bot's microphone and camera: {result['microphone_and_camera']}",
        f"page link: {result['page_link']}"
        + (
            " (Chromium refused the page's socket to 127.0.0.1: pictures and events come over "
            "Playwright's bindings, slower, and pictures cannot be paused)"
            if result["page_link"] == "blocked"
            else ""
        ),
    ]
    for p in result["people"]:
        share = "" if p["observed_share"] is None else f", on screen {p['observed_share']:.0%}"
        lines.append(
            f"  {p['name']}: {p['pictures_per_s']} pictures/s, "
            f"{p['speaking_turns']} speaking signal(s){share}{'' if p['here'] else ' (left)'}"
        )
    if not result["people"]:
        lines.append("  nobody seen: check the profile's roster selectors")
    return "\n".join(lines)
