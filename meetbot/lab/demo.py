"""The local demo meeting: a private Janus, seven scripted participants, the real bot.

Everything real except the people: Janus 1.1 in a throw-away network namespace, aiortc
participants streaming real face photos (turned, absent, black) with tones when they speak,
and the same connector, sampler, detectors, session, store and reports a chapter uses.

The personas, in speaking order (each takes one turn, in sequence):
- Ava Attentive (lead, chair): attentive throughout; opens the meeting.
- Finn Early: leaves early, after his turn.
- Ben Wanderer: looks away during other members' turns.
- Cara Camera: turns her camera off for a while after her turn.
- Dan Desk: leaves his chair for a while after his turn.
- Gina Guest | Acme Ltd: a visitor, not on the roster.
- Eve Late: joins late, gives the feature presentation (last).
Hal Absent is on the roster and never comes.
"""

from __future__ import annotations

import asyncio
import dataclasses
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import reports
from meetbot import app, config
from meetbot.clock import MonotonicClock
from meetbot.config.schema import JANUS, Settings
from meetbot.domain.chapter import Member
from meetbot.domain.states import Role
from meetbot.errors import ConnectError
from meetbot.lab.demo_pages import DemoPages, web_meeting
from meetbot.lab.janus_server import JanusServer, sandbox_problem
from meetbot.lab.scenario import Behaviour, Scenario, Script
from meetbot.lab.stage import render_faces, run_scenario
from meetbot.offline.analyze import summary as session_summary
from meetbot.publishers.console import render_markdown
from meetbot.publishers.delivery import report_dir
from meetbot.store import Store
from meetbot.terminal.interrupt import stop_on_signals

DEMO_CHAPTER = Path(__file__).resolve().parents[2] / "config" / "demo-chapter.toml"
DEMO_ROOM = 4242
PERSONAS = 7
# Where the meeting's turns sit inside its length: a short lead-in for everyone to connect
# and be seen, and a tail so the last turn closes before the bot leaves.
_LEAD_IN = 0.08
_TAIL = 0.06
_PAUSE_S = 1.0


@dataclass(frozen=True, slots=True)
class Turns:
    """The speaking slots of a demo meeting of `duration_s` seconds."""

    duration_s: float
    speakers: int

    @property
    def start(self) -> float:
        return self.duration_s * _LEAD_IN

    @property
    def length(self) -> float:
        return self.duration_s * (1 - _LEAD_IN - _TAIL) / self.speakers

    def slot(self, i: int) -> tuple[float, float]:
        begin = self.start + i * self.length
        return (round(begin, 2), round(begin + self.length - _PAUSE_S, 2))

    def span(self, first: int, last: int) -> tuple[float, float]:
        """From the start of slot `first` to the end of slot `last` (inclusive)."""
        return (self.slot(first)[0], self.slot(last)[1])


def scenario(duration_s: float, participants: int = PERSONAS) -> Scenario:
    """The demo personas for a meeting of `duration_s` seconds; extra participants beyond the
    seven personas are attentive members, each with a turn of their own."""
    if participants < 3:
        raise ValueError("the demo needs at least 3 participants")
    n = max(participants, PERSONAS)
    t = Turns(duration_s, n)
    order = ["ava", "finn", "ben", "cara", "dan", "gina", "eve"]
    speaks = {name: (t.slot(i),) for i, name in enumerate(order)}
    last = n - 1
    eve_joins = t.slot(1)[0] + 2.0  # clearly after the start + late grace
    scripts = [
        Script("ava", "Ava Attentive", speaks=speaks["ava"], face="astronaut"),
        Script(
            "finn",
            "Finn Early",
            speaks=speaks["finn"],
            leaves_at=t.slot(3)[0] + 1.0,
        ),
        Script(
            "ben",
            "Ben Wanderer",
            speaks=speaks["ben"],
            # Attentive in his own turn, turned away in others' turns after it.
            steps=((*t.span(3, 5), Behaviour.LOOKING_AWAY),),
        ),
        Script(
            "cara",
            "Cara Camera",
            speaks=speaks["cara"],
            steps=((*t.span(4, 5), Behaviour.CAMERA_OFF),),
        ),
        Script(
            "dan",
            "Dan Desk",
            speaks=speaks["dan"],
            steps=((*t.span(5, min(6, last)), Behaviour.AWAY),),
        ),
        Script("gina", "Gina Guest | Acme Ltd", speaks=speaks["gina"]),
        Script("eve", "Eve Late", speaks=speaks["eve"], joins_at=eve_joins),
    ]
    for i in range(PERSONAS, participants):
        scripts.append(Script(f"member{i + 1}", f"Member {i + 1}", speaks=(t.slot(i),)))
    return Scenario(tuple(scripts[:participants]), duration_s=duration_s)


def expected_people(participants: int = PERSONAS) -> list[str]:
    """Display names the demo's roster must also know (extras become roster members)."""
    return [f"Member {i + 1}" for i in range(PERSONAS, participants)]


def settings(participants: int, config_file: str | None = None) -> Settings:
    """The demo chapter's settings; Discord, storage and report folders may come from the
    user's own chapter file, so the demo can post to their server."""
    base = config.load(DEMO_CHAPTER)
    extras = tuple(Member(name) for name in expected_people(participants))
    base = dataclasses.replace(base, roster=base.roster + extras)
    if config_file is None:
        return base
    own = config.load(config_file)
    return dataclasses.replace(
        base,
        discord=own.discord,
        storage=own.storage,
        reports=own.reports,
        secrets=own.secrets,
        source=own.source,
    )


async def record_meetings(
    settings: Settings, participants: int, minutes: float, out: TextIO, platform: str = JANUS
) -> list[str]:
    """Run the demo meeting (and, the first time, a shorter earlier one); return session ids.
    `platform`: "janus" (the aiortc bot) or a Janus demo client's browser profile.

    Must run inside scripts/in-sandbox: the private Janus needs its veth interface.
    """
    problem = sandbox_problem()
    if problem:
        raise ConnectError(f"the demo meeting cannot run here: {problem}")
    ids: list[str] = []
    async with JanusServer() as janus, AsyncExitStack() as stack:
        await janus.create_room(DEMO_ROOM, description="meetbot demo")
        meeting = dataclasses.replace(settings.meeting, url=janus.url, room=DEMO_ROOM)
        if platform != JANUS:
            pages = await stack.enter_async_context(DemoPages(janus.url))
            meeting = web_meeting(meeting, platform, pages)
        here = dataclasses.replace(settings, meeting=meeting)
        with app.open_store(here) as store:
            stopped = False
            if not store.list_sessions(chapter=here.chapter.name):
                print("\n== an earlier, shorter demo session (for the comparison) ==", file=out)
                sid, stopped = await _meeting(
                    here, store, janus.url, participants, minutes * 0.75, out
                )
                ids.append(sid)
            if not stopped:  # Ctrl-C ends the demo, not just its first meeting
                print(f"\n== the demo meeting: {minutes:g} min ==", file=out)
                sid, _ = await _meeting(here, store, janus.url, participants, minutes, out)
                ids.append(sid)
    return ids


async def _meeting(
    settings: Settings, store: Store, url: str, participants: int, minutes: float, out: TextIO
) -> tuple[str, bool]:
    """One demo meeting, saved; its session id and whether Ctrl-C ended it."""
    duration = minutes * 60
    plan = scenario(duration, participants)
    # The faces before the clock starts: rendering takes seconds (over ten on a busy machine),
    # and the scripts' times count from the start, so everyone would join that much late.
    book = await render_faces(plan)
    if settings.meeting.platform != JANUS:
        # Imported here: Playwright loads only for the browser demo.
        from meetbot.lab.web_demo import watch_in_browser

        web = await watch_in_browser(settings, store, url, DEMO_ROOM, plan, out, book)
        return web.session_id, False
    clock = MonotonicClock()
    async with asyncio.TaskGroup() as group:
        people = group.create_task(run_scenario(url, DEMO_ROOM, plan, clock, book=book))
        # Ctrl-C ends the demo meeting early; its record is still reported below.
        with stop_on_signals() as stop:
            record = await app.watch(
                settings, store, clock, until_s=duration + 1.0, stop=stop, stream=out
            )
        if stop.is_set():
            people.cancel()  # the scripted people leave with the bot, not at the script's end
        else:
            await people
    return record.session_id, stop.is_set()


async def finish(settings: Settings, session_ids: list[str], out: TextIO) -> dict[str, Any]:
    """Reports for every recorded session, the recap through the outbox, then every member's
    private card and the lead comparison. Returns the main session's summary (JSON-ready)."""
    tz = settings.chapter.timezone
    with app.open_store(settings) as store:
        for sid in session_ids:
            main = store.load(sid)  # the last one is the demo meeting itself
            app.describe(await app.finish(main, settings, store, stream=out), out)
        folder = report_dir(settings) / main.session_id
        print("\n== private member cards (each member sees only their own) ==", file=out)
        for attendee in main.attendees:
            if attendee.role is Role.VISITOR or attendee.joined_at is None:
                continue
            history = store.history(
                attendee.person, main.chapter, limit=settings.reports.compare_last
            )
            earlier = [r for r in history if r.session_id != main.session_id]
            card = reports.member_card(
                main, attendee.person, earlier, timezone=tz, language=settings.chapter.language
            )
            slug = _slug(attendee.person)
            # Every card's pictures have the same names: each member's get their own prefix.
            own = tuple(
                dataclasses.replace(a, filename=f"{slug}-{a.filename}") for a in card.attachments
            )
            app.write_post(dataclasses.replace(card, attachments=own), folder / "cards", slug)
            print(f"\n--- card for {attendee.person} ---\n" + render_markdown(card), file=out)
        records = store.finished_sessions(main.chapter, limit=settings.reports.compare_last)
    lead = reports.comparison(
        records,
        detail=True,
        min_group=settings.reports.min_group_for_detail,
        timezone=tz,
        language=settings.chapter.language,
    )
    print("\n== lead comparison ==\n" + render_markdown(lead), file=out)
    for path in app.write_post(lead, folder, "comparison"):
        print(f"  comparison: {path}", file=out)
    return session_summary(main)


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.casefold()).strip("-")
