"""The browser bridge on Janus's own web clients with real parts: Chromium, Janus, janus-demos,
aiortc participants from real face photos, a real Chromium publisher, mediapipe.

What the bridge must do besides seeing what the aiortc connector sees (that is
test_browser_differential): capture tiles and page through a gallery smaller than the room,
see what a browser publishes, come back after a page reload, be probed, and fail in one line.
One Janus and one page server for the whole module.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
from collections import Counter
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from aiortc.mediastreams import MediaStreamTrack
from playwright.async_api import Error as PlaywrightError

from detectors import DetectorSettings
from meetbot import app
from meetbot.clock import MonotonicClock
from meetbot.config.schema import Capture
from meetbot.connectors.base import Valve
from meetbot.connectors.browser.connector import BrowserConnector
from meetbot.connectors.browser.people import Signal
from meetbot.connectors.browser.probe import describe, probe
from meetbot.connectors.browser.profiles import Action, Roster, Step
from meetbot.connectors.browser.tab import MeetingTab
from meetbot.connectors.janus_session import JanusSession
from meetbot.domain.events import (
    ConnectionLost,
    ConnectionRestored,
    Event,
    Observation,
    ParticipantId,
    ParticipantJoined,
    ParticipantLeft,
    TrackEnded,
)
from meetbot.domain.states import State, TrackKind
from meetbot.errors import ConfigError, ConnectError, StoppedWhileJoining
from meetbot.lab.fake_camera import write_y4m
from meetbot.lab.recorder import DrainingSink, EventRecorder
from meetbot.lab.scenario import Scenario, Script
from meetbot.lab.stage import run_scenario
from meetbot.media import MediaSampler
from meetbot.session import run_session
from meetbot.store import Store
from reports.organiser import organiser_report
from reports.summary import observed_share
from tests.browser_meeting import (
    Lab,
    joined_bot,
    lab,
    needs_browser,
    persons_browser,
    until_engaged,
    watched,
)

__all__ = ["lab"]

pytestmark = [pytest.mark.janus, pytest.mark.slow, needs_browser]
module = pytest.mark.asyncio(loop_scope="module")


def names_of(events: EventRecorder) -> dict[str, str]:
    return {e.participant: e.display_name for e in events.of(ParticipantJoined)}


def back_in_view(seen: list[Event]) -> Counter[str]:
    """How often each person came back into view: an off-screen `unseen` reading, then a
    judged picture of them."""
    out: Counter[str] = Counter()
    hidden: set[str] = set()
    names: dict[str, str] = {}
    for e in seen:
        if isinstance(e, ParticipantJoined):
            names[e.participant] = e.display_name
        elif isinstance(e, Observation) and e.participant in names:
            who = names[e.participant]
            if e.unseen:
                hidden.add(who)
            elif e.state is not State.UNKNOWN and who in hidden:
                hidden.discard(who)
                out[who] += 1
    return out


@module
async def test_tiles_page_through_a_room_bigger_than_a_page(lab: Lab, tmp_path: Path) -> None:
    """Three people, two tiles a page, a real sampler and detector: everyone is judged in
    turn; the one off the page is unknown at once (never absent, never a leave, never camera
    off); the record, and so the organiser's report, gives each an observed share below 1,
    no more than the room had them on screen.

    Waits on what the session folds (each person back in view twice), not on a fixed script
    length: on a loaded machine joining and subscribing take longer, and a fixed 26 s once
    left too few page turns."""
    room = 5301
    await lab.janus.create_room(room)
    settings = lab.settings("janus_videoroom", room)
    settings = dataclasses.replace(
        settings,
        browser=dataclasses.replace(
            settings.browser, capture=Capture.TILES, page_size=2, page_dwell_s=5.0
        ),
    )
    everyone = ("Amy", "Bea", "Cid")
    plan = Scenario(
        tuple(Script(name.lower(), name) for name in everyone),
        duration_s=300.0,  # ended by the test once enough was seen
        fps=5,
    )
    bot, clock = await joined_bot(settings, tmp_path / "home")
    async with watched(lab, bot, clock, room, plan, tmp_path / "store") as meeting:
        await meeting.seen.wait_for(
            lambda events: all(back_in_view(events)[name] >= 2 for name in everyone),
            timeout_s=180,
        )
        on_screen = bot.room.observed_share() if bot.room is not None else {}
        record = await meeting.end()
    seen = meeting.seen
    names = names_of_list(seen.events)
    off = [e for e in seen.events if isinstance(e, Observation) and e.reason == "off_screen"]
    assert {names[e.participant] for e in off} == set(everyone)
    assert all(e.state is State.UNKNOWN and e.unseen for e in off)
    # paging is not leaving, nor camera off
    assert not [e for e in seen.events if isinstance(e, ParticipantLeft | TrackEnded)]
    report = {row.person: row for row in organiser_report(record).attendees}
    for a in record.attendees:
        if a.person not in everyone:
            continue
        share = observed_share(a)
        assert share is not None
        # judged only while on screen: less than all the time, no more than the page showed
        assert 0.1 < share < 0.95, (a.person, share, on_screen)
        assert share <= on_screen[a.person] + 0.1, (a.person, share, on_screen)
        assert a.seconds_by_state.get(State.UNKNOWN, 0) > 5, a.seconds_by_state
        assert a.seconds_by_state.get(State.ABSENT, 0) < 3, a.seconds_by_state  # never absent
        assert a.left_at is None
        assert report[a.person].observed == f"{int(100 * share + 0.5)}%"


@module
async def test_bridge_judges_a_real_chromium_publisher(lab: Lab, tmp_path: Path) -> None:
    """A real Chromium publishes a lab face from a y4m fake camera on the demo page; the
    bridge bot (tracks mode, real sampler and detector) sees that person engaged."""
    room = 5302
    await lab.janus.create_room(room)
    clip = write_y4m(tmp_path / "face.y4m")
    settings = lab.settings("janus_mvideoroom", room)
    bot, clock = await joined_bot(settings, tmp_path / "home")
    events = EventRecorder()
    try:
        async with persons_browser(settings, clip) as page:
            await page.goto(f"{settings.meeting.url}?room={room}")
            await page.click("#start")
            await page.fill("#username", "Pat")
            await page.click("#register")
            await until_engaged(bot, settings, clock, events)
    finally:
        await bot.__aexit__(None, None, None)
    assert list(names_of(events).values()) == ["Pat"]


class ValveSink(DrainingSink):
    """Drains like DrainingSink and keeps the valve each video came with."""

    def __init__(self, group: asyncio.TaskGroup) -> None:
        super().__init__(group)
        self.valves: dict[str, Valve | None] = {}

    async def track_started(
        self,
        participant: ParticipantId,
        kind: TrackKind,
        track: MediaStreamTrack,
        valve: Valve | None = None,
    ) -> None:
        if kind is TrackKind.VIDEO:
            self.valves[participant] = valve
        await super().track_started(participant, kind, track, valve)


@module
async def test_a_paused_persons_pictures_stop_in_the_page_until_resumed(
    lab: Lab, tmp_path: Path
) -> None:
    """The sampler pauses a person's pictures between samples: the page then takes and encodes
    none of them (the other person's keep coming), and sends the next one once resumed."""
    room = 5320
    await lab.janus.create_room(room)
    settings = lab.settings("janus_mvideoroom", room)
    plan = Scenario((Script("a", "Amy"), Script("b", "Bea")), duration_s=60.0, fps=5)
    bot, clock = await joined_bot(settings, tmp_path)
    events = EventRecorder()
    try:
        async with asyncio.TaskGroup() as group:
            sink = ValveSink(group)
            watching = group.create_task(bot.run(events.emit, sink))
            meeting = group.create_task(run_scenario(lab.janus.url, room, plan, clock))
            await events.wait_for(lambda _: len(names_of(events)) == 2, timeout_s=60)
            ids = {name: pid for pid, name in names_of(events).items()}
            amy, bea = ParticipantId(ids["Amy"]), ParticipantId(ids["Bea"])
            for who in (amy, bea):
                await sink.wait_for_frames(who, TrackKind.VIDEO, 2, timeout_s=60)
            valve = sink.valves[amy]
            assert valve is not None
            assert valve.instant
            assert not valve.sees_keyframes
            await valve.pause()
            before_amy = sink.frames[amy, TrackKind.VIDEO]
            before_bea = sink.frames[bea, TrackKind.VIDEO]
            # Bea's pictures are the clock: six of them are three seconds of Amy's
            await sink.wait_for_frames(bea, TrackKind.VIDEO, before_bea + 6, timeout_s=60)
            paused_amy = sink.frames[amy, TrackKind.VIDEO] - before_amy
            await valve.resume()
            await sink.wait_for_frames(amy, TrackKind.VIDEO, before_amy + paused_amy + 1, 30)
            watching.cancel()
            meeting.cancel()
    finally:
        await bot.__aexit__(None, None, None)
    assert paused_amy <= 1, paused_amy  # at most the one being encoded when the pause came


@module
async def test_reload_loses_then_restores_the_meeting(lab: Lab, tmp_path: Path) -> None:
    """A page reload mid-meeting: ConnectionLost, a new browser rejoins, ConnectionRestored;
    the people still there are not left and joined again. The probe then reports them."""
    room = 5303
    await lab.janus.create_room(room)
    settings = lab.settings("janus_videoroom", room)
    plan = Scenario((Script("a", "Amy"), Script("b", "Bea")), duration_s=90.0, fps=5)
    bot, clock = await joined_bot(settings, tmp_path)
    events = EventRecorder()
    try:
        async with asyncio.TaskGroup() as group:
            sink = DrainingSink(group)
            people = group.create_task(run_scenario(lab.janus.url, room, plan, clock))
            watching = group.create_task(bot.run(events.emit, sink))
            await events.wait_for(lambda seen: len(names_of_list(seen)) == 2, timeout_s=30)
            assert bot.tab is not None
            await bot.tab.page.reload()
            await events.wait_for(
                lambda seen: any(isinstance(e, ConnectionRestored) for e in seen), timeout_s=60
            )
            found = await probe(settings, 4.0, tmp_path)
            watching.cancel()
            people.cancel()
    finally:
        await bot.__aexit__(None, None, None)
    kinds = [type(e) for e in events.events]
    assert kinds.index(ConnectionLost) < kinds.index(ConnectionRestored)
    assert not events.of(ParticipantLeft)  # Amy and Bea stayed throughout
    # After the restore everyone there is joined again, as the Janus connector does; the
    # same connections, so the domain sees two people, not four.
    assert len({e.participant for e in events.of(ParticipantJoined)}) == 2
    assert found["admitted"] is True
    assert found["chat"] == "none in this client"
    assert {p["name"] for p in found["people"]} == {"Amy", "Bea"}
    assert all(p["pictures_per_s"] > 0.5 for p in found["people"]), found
    assert "Amy" in describe(found)


def judged_since(seen: list[Event], since: int) -> set[str]:
    """Who had a picture of them judged (not unknown) among the events from index `since`."""
    names = names_of_list(seen)
    return {
        names[e.participant]
        for e in seen[since:]
        if isinstance(e, Observation) and e.state is not State.UNKNOWN and e.participant in names
    }


@module
async def test_chromium_crash_restarts_the_browser_and_rejoins(lab: Lab, tmp_path: Path) -> None:
    """Mid-meeting the page's renderer crashes, and later Chromium's main process is killed
    (SIGKILL: no goodbye, no page event). Each time: ConnectionLost, a new browser joins
    again, ConnectionRestored, all in the same session. Each gap is unknown for everyone
    there (never absence, never a leave), and they are judged again after it."""
    room = 5307
    await lab.janus.create_room(room)
    settings = lab.settings("janus_videoroom", room)
    everyone = {"Amy", "Bea"}
    plan = Scenario(
        tuple(Script(name.lower(), name) for name in sorted(everyone)),
        duration_s=400.0,  # ended by the test once the bot is back the second time
        fps=5,
    )
    bot, clock = await joined_bot(settings, tmp_path / "home")
    browsers: list[MeetingTab] = []
    async with watched(lab, bot, clock, room, plan, tmp_path / "store") as meeting:
        seen = meeting.seen

        async def seen_again(restores: int) -> None:
            """Wait for the n-th ConnectionRestored, then for everyone judged after it."""
            await seen.wait_for(lambda ev: restored_count(ev) >= restores, timeout_s=90)
            back = len(seen.events)
            await seen.wait_for(lambda ev: judged_since(ev, back) == everyone, timeout_s=90)
            assert bot.tab is not None
            browsers.append(bot.tab)

        await seen_again(0)
        await crash_renderer(browsers[0])
        await seen_again(1)
        pid = browsers[1].browser_pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        await seen_again(2)
        record = await meeting.end()
        sessions = meeting.store.list_sessions()
    assert len({id(tab) for tab in browsers}) == 3  # a new browser each time
    assert [s.session_id for s in sessions] == [record.session_id]  # one session throughout
    lost = [e for e in seen.events if isinstance(e, ConnectionLost)]
    restored = [e for e in seen.events if isinstance(e, ConnectionRestored)]
    assert [e.detail for e in lost] == ["the page crashed", "Chromium exited (crashed or killed)"]
    assert lost[0].at < restored[0].at < lost[1].at < restored[1].at
    assert not [e for e in seen.events if isinstance(e, ParticipantLeft)]
    assert len({e.participant for e in seen.events if isinstance(e, ParticipantJoined)}) == 2
    for a in record.attendees:
        if a.person not in everyone:
            continue
        assert a.left_at is None
        mine = [x for x in record.spans if x.participant in a.participants]
        for down, up in zip(lost, restored, strict=True):
            gap = [x for x in mine if x.start < up.at and x.end > down.at]
            assert gap, (a.person, mine)
            assert all(x.state is State.UNKNOWN for x in gap), (a.person, gap)
            assert any(x.start >= up.at and x.state is State.ENGAGED for x in mine), mine


def restored_count(seen: list[Event]) -> int:
    return sum(1 for e in seen if isinstance(e, ConnectionRestored))


async def crash_renderer(tab: MeetingTab) -> None:
    """Crash the meeting page's renderer process (DevTools' Page.crash: the renderer dies as
    it would from a fault or the kernel's OOM killer; the browser process stays)."""
    cdp = await tab.page.context.new_cdp_session(tab.page)
    crash = asyncio.ensure_future(cdp.send("Page.crash"))  # never answered: the page dies
    with contextlib.suppress(PlaywrightError, TimeoutError):
        async with asyncio.timeout(5):
            await crash


def names_of_list(seen: list[Event]) -> dict[str, str]:
    return {e.participant: e.display_name for e in seen if isinstance(e, ParticipantJoined)}


# --- bad input: one line each, nothing half-stored -------------------------------------------


async def test_chromium_missing_is_one_line(tmp_path: Path) -> None:
    from meetbot.lab import demo

    base = demo.settings(demo.PERSONAS)
    settings = dataclasses.replace(
        base,
        meeting=dataclasses.replace(
            base.meeting,
            platform="janus_videoroom",
            url="http://127.0.0.1:9/videoroomtest.html",
            display_name="m",
        ),
        browser=dataclasses.replace(base.browser, executable=str(tmp_path / "no-chromium")),
    )
    with pytest.raises(ConfigError) as refused:
        async with BrowserConnector(settings, MonotonicClock(), home=tmp_path):
            pass
    assert "\n" not in str(refused.value)
    assert "browser.executable" in str(refused.value)


@module
async def test_bad_meetings_fail_in_one_line(lab: Lab, tmp_path: Path) -> None:
    await lab.janus.create_room(5304)
    fast = {"join_timeout_s": 6.0}
    cases: list[tuple[int, dict[str, object], str]] = [
        (5304, {"url": "http://127.0.0.1:9/videoroomtest.html"}, "is unreachable"),
        (999_999, {}, "refused the join"),
    ]
    for room, meeting, expected in cases:
        settings = lab.settings("janus_videoroom", room, **{**fast, **meeting})
        with pytest.raises(ConnectError) as failed:
            async with BrowserConnector(settings, MonotonicClock(), home=tmp_path):
                pass
        assert expected in str(failed.value)
        assert "\n" not in str(failed.value)
    # a profile step whose selector finds nothing names the step and the selector
    settings = lab.settings("janus_videoroom", 5304)
    settings = dataclasses.replace(
        settings, browser=dataclasses.replace(settings.browser, step_timeout_s=2.0)
    )
    bot = BrowserConnector(settings, MonotonicClock(), home=tmp_path)
    bot.profile = dataclasses.replace(
        bot.profile, join=(Step("start the demo", Action.CLICK, "#no-such-button"),)
    )
    with pytest.raises(ConnectError) as failed:
        async with bot:
            pass
    assert "'start the demo'" in str(failed.value)
    assert "'#no-such-button'" in str(failed.value)
    assert not list(tmp_path.joinpath("browser").iterdir())  # throw-away profiles are gone


@module
async def test_never_admitted_times_out(lab: Lab, tmp_path: Path) -> None:
    """A host who never lets the bot in: the page shows the waiting state (here the demo
    page's video area stands in for a lobby) and never the admitted sign; the bot gives up
    after join_timeout_s, in one line that says it was still waiting."""
    await lab.janus.create_room(5305)
    settings = lab.settings("janus_videoroom", 5305, join_timeout_s=5.0)
    bot = BrowserConnector(settings, MonotonicClock(), home=tmp_path)
    bot.profile = dataclasses.replace(
        bot.profile, roster=Roster.DOM, lobby="#videos", admitted="#let-in-by-the-host"
    )
    with pytest.raises(ConnectError) as failed:
        async with bot:
            pass
    assert str(failed.value).startswith(
        "not admitted to the meeting within 5 s (still in the lobby); ask the host to admit"
    )


@pytest.mark.parametrize(
    "left_s",
    [pytest.param(1.0, id="while Chromium starts"), pytest.param(8.0, id="in the lobby")],
)
@module
async def test_the_end_time_while_joining_ends_the_join_with_nothing_recorded(
    lab: Lab, tmp_path: Path, left_s: float
) -> None:
    """The browser joins on entering the connector, before any session begins: the meeting's
    end time (or Ctrl-C, the same wait) while Chromium starts or waits in the lobby ends the
    join at once; nothing of the browser stays behind, and the caller hears that nothing was
    recorded (not the join timeout minutes later). On a busy machine both may land in the
    start; what must hold is the same."""
    room = 5310 if left_s < 5 else 5311
    await lab.janus.create_room(room)
    settings = lab.settings("janus_videoroom", room, join_timeout_s=120.0)
    bot = BrowserConnector(settings, MonotonicClock(), home=tmp_path)
    bot.profile = dataclasses.replace(
        bot.profile, roster=Roster.DOM, lobby="#videos", admitted="#let-in-by-the-host"
    )
    async with AsyncExitStack() as stack:
        with pytest.raises(StoppedWhileJoining) as stopped:
            await app.enter_unless_stopped(stack, bot, asyncio.Event(), left_s)
    assert stopped.value.interrupted is False
    assert str(stopped.value).endswith(
        "before the bot was admitted to the meeting; nothing was recorded"
    )
    assert bot.tab is None
    assert not bot.admitted.is_set()
    assert left_behind(tmp_path) == []


def left_behind(home: Path) -> list[str]:
    """Browser profile folders under `home`, and processes (a Chromium) still using one."""
    found = [f"folder {p}" for p in home.glob("browser/*")]
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue  # not a process, or gone meanwhile
        if proc.name.isdigit() and str(home).encode() in cmdline:
            found.append(f"process {proc.name}: {cmdline[:200]!r}")
    return found


@module
async def test_removed_by_the_host_saves_the_session(lab: Lab, tmp_path: Path) -> None:
    room = 5306
    await lab.janus.create_room(room)
    settings = lab.settings("janus_videoroom", room)
    plan = Scenario((Script("a", "Amy"),), duration_s=30.0, fps=5)
    bot, clock = await joined_bot(settings, tmp_path)
    try:
        with Store.open("", tmp_path / "store") as store:
            async with (
                MediaSampler(settings.sampling, DetectorSettings(), clock) as sampler,
                asyncio.TaskGroup() as group,
            ):
                people = group.create_task(run_scenario(lab.janus.url, room, plan, clock))
                session = group.create_task(
                    run_session(bot, sampler, settings=settings, store=store, clock=clock)
                )
                await asyncio.sleep(3.0)  # Amy is in the meeting for a while first
                await kick(lab, room, "meetbot")
                record = await session
                people.cancel()
            saved = store.load(record.session_id)
    finally:
        await bot.__aexit__(None, None, None)
    assert bot.ended_by is Signal.REMOVED
    assert [a.person for a in saved.attendees if a.joined_at is not None] == ["Amy"]


async def kick(lab: Lab, room: int, display: str) -> None:
    async with JanusSession(lab.janus.url) as session:
        handle = await session.attach()
        for _ in range(100):
            listing = await handle.message({"request": "listparticipants", "room": room})
            found = [
                p["id"]
                for p in listing["plugindata"]["data"].get("participants", ())
                if p.get("display") == display
            ]
            if found:
                await handle.message({"request": "kick", "room": room, "id": found[0]})
                return
            await asyncio.sleep(0.2)  # polling Janus's list: no event says "the bot is in"
        raise AssertionError(f"{display} never appeared in room {room}")
