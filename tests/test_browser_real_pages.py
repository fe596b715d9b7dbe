"""The bridge on pages built like the real platforms' (tests/meeting_page.py), in a real
Chromium: a public origin (Chromium's Local Network Access), hidden iframes, a participant list
that must be opened and whose entries are more than names, a security policy that refuses the
page's socket, and what the bot's own microphone and camera send.

No Janus and no WebRTC: the page's tiles play canvas streams, so this runs outside the sandbox.
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from meetbot.clock import MonotonicClock
from meetbot.config.schema import Settings
from meetbot.connectors.browser import profiles
from meetbot.connectors.browser.connector import BrowserConnector
from meetbot.connectors.browser.tab import MeetingTab
from meetbot.domain.events import ParticipantJoined, ParticipantLeft
from meetbot.domain.states import TrackKind
from meetbot.errors import ConnectError
from meetbot.lab import demo
from meetbot.lab.recorder import DrainingSink, EventRecorder
from tests.meeting_page import EVERYONE, ON_CAMERA, PROFILE, MeetingPage, served

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium: run scripts/setup"),
]
module = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def site() -> AsyncIterator[MeetingPage]:
    async with served() as page:
        yield page


def settings_for(url: str, **meeting: Any) -> Settings:
    base = demo.settings(demo.PERSONAS)
    fields: dict[str, Any] = {
        "platform": "janus_videocall",  # any browser platform: the test swaps in its profile
        "url": url,
        "display_name": "meetbot",
        "join_timeout_s": 20.0,
    }
    fields.update(meeting)
    return dataclasses.replace(base, meeting=dataclasses.replace(base.meeting, **fields))


def public(port: int) -> type[MeetingTab]:
    """A tab whose Chromium takes the page's server for a public address, as a real
    platform's is: Local Network Access then guards the page's socket to 127.0.0.1."""

    class PublicTab(MeetingTab):
        def chromium_flags(self) -> list[str]:
            return [
                *super().chromium_flags(),
                f"--ip-address-space-overrides=127.0.0.1:{port}=public",
            ]

    return PublicTab


def bot_on(settings: Settings, home: Path, tab: type[MeetingTab]) -> BrowserConnector:
    bot = BrowserConnector(settings, MonotonicClock(), home=home)
    bot.profile = PROFILE  # the test page's table, as a platform's profile module holds one
    bot.tab_type = tab
    return bot


async def attend(bot: BrowserConnector, names: frozenset[str], settle_s: float) -> EventRecorder:
    """Run the joined bot until everyone in `names` arrived and each person on camera sent ten
    pictures, then `settle_s` longer (long enough for flapping at 2 Hz to show)."""
    events = EventRecorder()
    async with asyncio.TaskGroup() as group:
        sink = DrainingSink(group)
        watching = group.create_task(bot.run(events.emit, sink))
        await events.wait_for(
            lambda seen: (
                {e.display_name for e in seen if isinstance(e, ParticipantJoined)} >= names
            ),
            timeout_s=30,
        )
        ids = {e.display_name: e.participant for e in events.of(ParticipantJoined)}
        for name in ON_CAMERA:
            await sink.wait_for_frames(ids[name], TrackKind.VIDEO, 10, timeout_s=30)
        await asyncio.sleep(settle_s)
        watching.cancel()
    return events


@module
async def test_a_public_page_with_iframes_and_a_closed_list(
    site: MeetingPage, tmp_path: Path
) -> None:
    """A page from a public origin, with a hidden sign-in iframe and its participant list
    closed: the page's socket to the bot opens (Local Network Access granted), pictures of
    both people on camera stream, the list is opened and read by name (Cy, off camera, is
    there; "Bob O’Neil" as "Bob O'Neil", no icon, "(you)" or "Meeting host" in a name), and
    the iframe's look-alike entry never makes anyone leave and rejoin. The bot's own
    microphone sends silence and its camera black, should a profile miss a toggle."""
    settings = settings_for(site.url(frame=True, listed=True))
    bot = bot_on(settings, tmp_path / "home", public(site.port))
    await bot.__aenter__()
    try:
        assert bot.tab is not None
        assert bot.tab.link_open is True  # Local Network Access: the permission was granted
        events = await attend(bot, EVERYONE, settle_s=3.0)
        own = await bot.tab.page.evaluate(OWN_DEVICES)
    finally:
        await bot.__aexit__(None, None, None)
    joined = [e.display_name for e in events.of(ParticipantJoined)]
    assert sorted(joined) == sorted(EVERYONE)  # each once, by name alone
    assert not events.of(ParticipantLeft)  # no iframe's list emptied the room
    assert own["brightest"] <= 40, own  # black (Chromium's own fake camera: a test pattern)
    assert own["loudest"] < 0.01, own  # silent (Chromium's own fake microphone: a beep)
    assert own["language"] == "en-US", own


@module
async def test_a_page_that_refuses_the_socket_still_reaches_the_bot(
    site: MeetingPage, tmp_path: Path
) -> None:
    """The page's policy refuses the socket to 127.0.0.1: messages and pictures come over
    Playwright's bindings instead, and with no list open the tiles say who is here (a list
    that is not shown is not "nobody is here")."""
    settings = settings_for(site.url(csp=True))
    bot = bot_on(settings, tmp_path / "home", MeetingTab)
    await bot.__aenter__()
    try:
        assert bot.tab is not None
        events = await attend(bot, ON_CAMERA, settle_s=1.0)
        assert bot.tab is not None
        assert bot.tab.link_open is False  # refused: the bindings carried it all
    finally:
        await bot.__aexit__(None, None, None)
    assert sorted(e.display_name for e in events.of(ParticipantJoined)) == sorted(ON_CAMERA)
    assert not events.of(ParticipantLeft)


@module
async def test_a_page_that_cannot_reach_the_bot_says_so(site: MeetingPage, tmp_path: Path) -> None:
    """The meeting never shows and the page's socket never opened: the join names the page's
    link, not the meeting, as what failed."""
    settings = settings_for(site.url(csp=True), join_timeout_s=2.0)
    profile = dataclasses.replace(PROFILE, admitted="#nothing-like-this")
    bot = BrowserConnector(settings, MonotonicClock(), home=tmp_path / "home")
    bot.profile = profile
    with pytest.raises(ConnectError, match="could not reach the bot") as failed:
        await bot.__aenter__()
    assert "never showed" not in str(failed.value)


@module
async def test_a_client_in_an_iframe_is_read_in_that_frame(
    site: MeetingPage, tmp_path: Path
) -> None:
    """A profile naming the iframe its client lives in: the page scripts run there (the tiles
    are read), and the top page, which has none, reports nothing."""
    settings = settings_for(site.wrapped_url())
    profile = dataclasses.replace(PROFILE, frame="iframe#client")
    reports: list[dict[str, Any]] = []
    async with MeetingTab(
        profile, settings.meeting, settings.browser, settings.sampling, tmp_path / "home"
    ) as tab:
        await tab.open()
        async with asyncio.timeout(20):
            while len(reports) < 4:
                arrival = await tab.queue.get()
                if isinstance(arrival, dict) and arrival.get("type") == "dom":
                    reports.append(arrival)
        assert tab.link_open is True
    assert all(sorted(r["tiles"]) == sorted(ON_CAMERA) for r in reports), reports


def test_every_profile_checks_the_bot_is_muted_or_says_why_not() -> None:
    """Once in, every shipped profile looks for the page showing the bot muted with its camera
    off, or names why it cannot."""
    for name in profiles.NAMES:
        profile = profiles.load(name)
        assert profile.muted or profile.unchecked_media, name


def test_meet_links_ask_for_english() -> None:
    """The profiles' labels and phrases are English: Meet's link gets hl=en, replacing
    whatever language it asked for and keeping its other parameters."""
    meet = profiles.load("meet")
    assert meet.page_url("https://meet.google.com/abc-defg-hij", 0).endswith("?hl=en")
    asked = meet.page_url("https://meet.google.com/abc-defg-hij?authuser=1&hl=de", 0)
    assert asked == "https://meet.google.com/abc-defg-hij?authuser=1&hl=en"


# In the bot's page: what its own microphone and camera would send, as a platform's client
# would take them (the brightest pixel of a camera frame, the loudest sample of the microphone).
OWN_DEVICES = """async () => {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  const video = document.createElement("video");
  video.muted = true;
  video.srcObject = stream;
  await video.play();
  const audio = new AudioContext();
  const analyser = audio.createAnalyser();
  audio.createMediaStreamSource(stream).connect(analyser);
  await new Promise((done) => setTimeout(done, 700));
  const canvas = new OffscreenCanvas(video.videoWidth, video.videoHeight);
  const g = canvas.getContext("2d");
  g.drawImage(video, 0, 0);
  let brightest = 0;
  const pixels = g.getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 0; i < pixels.length; i += 4) {
    brightest = Math.max(brightest, pixels[i], pixels[i + 1], pixels[i + 2]);
  }
  // Chromium's fake microphone beeps once a second: listen for two seconds.
  const samples = new Float32Array(analyser.fftSize);
  let loudest = 0;
  for (let i = 0; i < 50; i++) {
    analyser.getFloatTimeDomainData(samples);
    for (const s of samples) loudest = Math.max(loudest, Math.abs(s));
    await new Promise((done) => setTimeout(done, 40));
  }
  for (const track of stream.getTracks()) track.stop();
  await audio.close();
  return { brightest, loudest, language: navigator.language };
}"""
