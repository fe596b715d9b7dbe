"""Shared parts for the browser-bridge tests: one Janus and one demo-page server per module,
the demo chapter's settings pointed at them, and a bot session run to its record.

Runs inside the test network namespace: `scripts/in-sandbox .venv/bin/pytest -m janus`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Page, async_playwright

from detectors import DetectorSettings
from meetbot.clock import MonotonicClock
from meetbot.config.schema import Settings
from meetbot.connectors.browser import launch
from meetbot.connectors.browser.connector import BrowserConnector
from meetbot.domain.events import Event, Observation
from meetbot.domain.record import SessionRecord
from meetbot.domain.states import State
from meetbot.lab import demo
from meetbot.lab.demo_pages import BOT_NAME, DEMOS, PAGES, DemoPages
from meetbot.lab.janus_server import JanusServer, sandbox_problem
from meetbot.lab.recorder import EventRecorder
from meetbot.lab.scenario import Scenario
from meetbot.lab.stage import run_scenario
from meetbot.media import MediaSampler
from meetbot.session import run_session
from meetbot.store import Store

BOT = BOT_NAME


def browser_problem() -> str | None:
    problem = sandbox_problem()
    if problem:
        return problem
    if shutil.which("chromium") is None:
        return "chromium is not installed; run scripts/setup"
    if not (DEMOS / "videoroomtest.html").exists():
        return "janus-demos is not installed; run scripts/setup"
    return None


needs_browser = pytest.mark.skipif(browser_problem() is not None, reason=str(browser_problem()))


@dataclass
class Lab:
    janus: JanusServer
    pages: DemoPages

    def settings(self, platform: str, room: int, **meeting: object) -> Settings:
        base = demo.settings(demo.PERSONAS)
        fields: dict[str, object] = {
            "platform": platform,
            "url": self.pages.url(PAGES.get(platform, "videoroomtest.html")),
            "room": room,
            "display_name": BOT,
        }
        fields.update(meeting)
        return dataclasses.replace(base, meeting=dataclasses.replace(base.meeting, **fields))

    def janus_settings(self, room: int) -> Settings:
        base = demo.settings(demo.PERSONAS)
        meeting = dataclasses.replace(base.meeting, url=self.janus.url, room=room, display_name=BOT)
        return dataclasses.replace(base, meeting=meeting)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def lab() -> AsyncIterator[Lab]:
    problem = browser_problem()
    if problem:
        pytest.skip(problem)
    async with JanusServer() as janus, DemoPages(janus.url) as pages:
        yield Lab(janus, pages)


async def joined_bot(settings: Settings, home: Path) -> tuple[BrowserConnector, MonotonicClock]:
    """A browser bot in the meeting, and the session clock started once it is in (joining
    takes seconds: the scripts' times count from here)."""
    connector = BrowserConnector(settings, MonotonicClock(), home=home)
    await connector.__aenter__()
    clock = MonotonicClock()
    connector.clock = clock  # read from run() on: nothing was stamped while joining
    return connector, clock


@asynccontextmanager
async def persons_browser(settings: Settings, camera: Path | None = None) -> AsyncIterator[Page]:
    """A page in a Chromium of its own, as a person in the meeting has: Chromium's fake camera,
    or `camera` (a y4m clip, meetbot.lab.fake_camera) as the camera when given."""
    args = launch.flags()
    if camera is not None:
        args.append(f"--use-file-for-fake-video-capture={camera}")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=launch.chromium(settings.browser), args=args
        )
        try:
            yield await browser.new_page()
        finally:
            await browser.close()


async def until_engaged(
    bot: BrowserConnector, settings: Settings, clock: MonotonicClock, events: EventRecorder
) -> None:
    """Run the bot with the real sampler and detector until someone has been seen engaged three
    times (a real person's picture came through and was judged), then stop watching."""
    async with (
        MediaSampler(settings.sampling, DetectorSettings(), clock) as sampler,
        asyncio.TaskGroup() as group,
    ):
        sampling = group.create_task(sampler.run(events.emit))
        watching = group.create_task(bot.run(events.emit, sampler))
        await events.wait_for(
            lambda seen: sum(1 for e in seen if engaged_reading(e)) >= 3, timeout_s=60
        )
        watching.cancel()
        sampling.cancel()


def engaged_reading(event: Event) -> bool:
    return isinstance(event, Observation) and event.state is State.ENGAGED


class Seen:
    """A session observer (meetbot.session.Observer): every event the session folds, in the
    order it folds them, for a test to wait on and read."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Event()

    def see(self, event: Event) -> None:
        self.events.append(event)
        self._changed.set()

    def tick(self, now: float) -> None:
        self._changed.set()

    async def wait_for(self, predicate: Callable[[list[Event]], bool], timeout_s: float) -> None:
        """Return once `predicate(events)` holds; TimeoutError after `timeout_s`."""
        async with asyncio.timeout(timeout_s):
            while not predicate(self.events):
                self._changed.clear()
                await self._changed.wait()


@dataclass
class Watched:
    """A bridge bot's session on a scripted meeting, running until the test ends it."""

    seen: Seen
    store: Store
    stop: asyncio.Event
    session: asyncio.Task[SessionRecord]
    people: asyncio.Task[None]

    async def end(self) -> SessionRecord:
        """End the session (as Ctrl-C would: saved and reported), then the scripts."""
        self.stop.set()
        record = await self.session
        self.people.cancel()
        return record


@asynccontextmanager
async def watched(
    lab: Lab,
    bot: BrowserConnector,
    clock: MonotonicClock,
    room: int,
    plan: Scenario,
    store_at: Path,
) -> AsyncIterator[Watched]:
    """`bot` (from joined_bot) watches `plan` played in `room` with the real sampler, detector,
    session and a SQLite store at `store_at`; the bot leaves when the block ends."""
    settings = bot.settings
    seen, stop = Seen(), asyncio.Event()
    try:
        with Store.open("", store_at) as store:
            async with (
                MediaSampler(settings.sampling, DetectorSettings(), clock) as sampler,
                asyncio.TaskGroup() as group,
            ):
                people = group.create_task(run_scenario(lab.janus.url, room, plan, clock))
                session = group.create_task(
                    run_session(
                        bot, sampler, settings=settings, store=store, clock=clock, stop=stop,
                        observer=seen,
                    )
                )  # fmt: skip
                yield Watched(seen, store, stop, session, people)
    finally:
        await bot.__aexit__(None, None, None)
