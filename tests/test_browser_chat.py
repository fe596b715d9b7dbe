"""The announcement reaches the people in the meeting, through a real client's own chat.

Janus's VideoCall demo (videocalltest.html) is the one demo client with a chat (a data
channel). A real Chromium, publishing a lab face from a y4m fake camera, calls the bot; the
bot answers, turns its camera and microphone off, posts the announcement in the call's chat,
and watches the caller with the real sampler and detector. The caller's page must show the
announcement, and Janus must say it relays neither the bot's audio nor its video.

Runs inside the test network namespace: `scripts/in-sandbox .venv/bin/pytest -m janus`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page

from meetbot.clock import MonotonicClock
from meetbot.connectors.browser.connector import BrowserConnector
from meetbot.connectors.browser.own_media import Media
from meetbot.connectors.browser.probe import describe, probe
from meetbot.domain.events import ParticipantJoined
from meetbot.errors import ConnectError
from meetbot.lab.fake_camera import write_y4m
from meetbot.lab.janus_server import JanusServer
from meetbot.lab.recorder import EventRecorder
from tests.browser_meeting import BOT, Lab, lab, needs_browser, persons_browser, until_engaged

__all__ = ["lab"]

pytestmark = [pytest.mark.janus, pytest.mark.slow, needs_browser]
module = pytest.mark.asyncio(loop_scope="module")
# The bot's wait in its lobby includes the caller's turn: seeing the bot registered, calling,
# and both Chromiums connecting, all slower on a busy machine.
CALLED_WITHIN_S = 60.0

# In the caller's page: resolve once `name` is registered with the VideoCall plugin, asking its
# list of registered users again after each answer that lacks it (the plugin announces nothing).
UNTIL_REGISTERED = """(name) => new Promise((resolve) => {
  const handle = window.videocall;  // the demo's plugin handle, a global of videocalltest.js
  const original = handle.onmessage;
  const ask = () => handle.send({ message: { request: "list" } });
  handle.onmessage = (msg, jsep) => {
    const list = msg && msg.result && msg.result.list;
    if (!list) return original(msg, jsep);
    if (!list.includes(name)) return setTimeout(ask, 100);
    handle.onmessage = original;
    resolve();
  };
  ask();
})"""


async def caller(page: Page, url: str, name: str) -> None:
    """Open the VideoCall demo as `name` and register (not calling anyone yet)."""
    await page.goto(url)
    await page.click("#start")
    await page.fill("#username", name)
    await page.click("#register")
    await page.wait_for_selector("#phone", state="visible")


async def call(page: Page, callee: str) -> None:
    async with asyncio.timeout(60):
        await page.evaluate(UNTIL_REGISTERED, callee)
    await page.fill("#peer", callee)
    await page.click("#call")


async def shows_the_announcement(page: Page, text: str) -> None:
    """The caller's page shows `text` as received in the call's data channel."""
    await page.wait_for_function(
        "(text) => document.querySelector('#datarecv').value === text", arg=text, timeout=30_000
    )


async def videocall_media(janus: JanusServer, username: str) -> dict[str, Any]:
    """What Janus's VideoCall plugin says about `username`'s call (its handle's plugin info)."""
    async for _, plugin in janus.handles():
        if plugin.get("username") == username:
            return plugin
    raise AssertionError(f"no VideoCall handle registered as {username!r}")


@module
async def test_the_announcement_reaches_the_caller_through_the_call_chat(
    lab: Lab, tmp_path: Path
) -> None:
    url = lab.pages.url("videocalltest.html")
    settings = lab.settings("janus_videocall", 1, url=url, join_timeout_s=CALLED_WITHIN_S)
    clock = MonotonicClock()
    bot = BrowserConnector(settings, clock, home=tmp_path / "home")
    events = EventRecorder()
    async with persons_browser(settings, write_y4m(tmp_path / "face.y4m")) as page:
        await caller(page, url, "Pat")
        joining = asyncio.create_task(bot.__aenter__())
        try:
            await call(page, BOT)
            await joining
            await shows_the_announcement(page, settings.meeting.announce)
            assert bot.announced
            media = await videocall_media(lab.janus, BOT)
            assert media.get("peer") == "Pat", media
            # Janus relays neither the bot's audio nor its video to the caller
            assert media.get("audio_active") is False, media
            assert media.get("video_active") is False, media
            await until_engaged(bot, settings, clock, events)
        finally:
            joining.cancel()
            await asyncio.gather(joining, return_exceptions=True)
            await bot.__aexit__(None, None, None)
    assert [e.display_name for e in events.of(ParticipantJoined)] == ["Pat"]


@module
async def test_probe_says_the_announcement_was_posted(lab: Lab, tmp_path: Path) -> None:
    """`meetbot probe` on the call page: admitted, who is there, and that the chat took the
    announcement (the organiser's one-minute check before a meeting)."""
    url = lab.pages.url("videocalltest.html")
    settings = lab.settings("janus_videocall", 1, url=url, join_timeout_s=CALLED_WITHIN_S)
    async with persons_browser(settings) as page:
        await caller(page, url, "Sam")
        probing = asyncio.create_task(probe(settings, 4.0, tmp_path / "home"))
        try:
            await call(page, BOT)
            found = await probing
        finally:
            probing.cancel()
            await asyncio.gather(probing, return_exceptions=True)
        await shows_the_announcement(page, settings.meeting.announce)
    assert found["admitted"] is True
    assert found["experimental"] is False
    assert found["chat"] == "posted"
    assert [p["name"] for p in found["people"]] == ["Sam"]
    assert found["people"][0]["pictures_per_s"] > 0.5, found
    assert "announcement in the chat: posted" in describe(found)
    # the page shows the bot muted with its camera off, and its link to the bot open
    assert found["microphone_and_camera"] == Media.OFF.value
    assert "page link: open" in describe(found)


@module
async def test_nobody_calling_is_never_admitted(lab: Lab, tmp_path: Path) -> None:
    """Registered and waiting, nobody calls: the lobby wait ends in one line."""
    url = lab.pages.url("videocalltest.html")
    settings = lab.settings("janus_videocall", 1, url=url, join_timeout_s=3.0)
    bot = BrowserConnector(settings, MonotonicClock(), home=tmp_path / "home")
    with pytest.raises(ConnectError, match=r"within 3 s \(still in the lobby\)"):
        async with bot:
            pass
