"""The mend kit (`meetbot probe --save-page`) in a real Chromium: the outline of a meeting page
says how it is built (controls, their words, structure) and nothing of the people in it (no
roster name, no chat line, no picture), and its files are private. The page is served from
127.0.0.1; nothing else is opened."""

from __future__ import annotations

import json
import shutil
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web
from playwright.async_api import async_playwright

from meetbot import config
from meetbot.cli import main
from meetbot.clock import MonotonicClock
from meetbot.config.schema import BrowserSettings, Capture
from meetbot.connectors.browser import launch
from meetbot.connectors.browser.connector import BrowserConnector
from meetbot.connectors.browser.outline import PageOutlines, outlining
from meetbot.connectors.browser.profiles import Action, Profile, Roster, Step, Tiles
from meetbot.errors import ConnectError
from tests.test_join_failures import closed_port

pytestmark = pytest.mark.skipif(
    shutil.which("chromium") is None, reason="chromium is not installed; run scripts/setup"
)

PIXELS = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg"
)
IN_MEETING = f"""
<header><h1>Weekly chapter</h1>
  <img alt="Chapter logo" src="data:image/png;base64,{PIXELS}=="></header>
<h2>Carla Dias's notes</h2>
<main>
  <div id="grid" class="grid">
    <div class="tile" data-tid="Ana Souza" data-participant-id="p-17">
      <video id="v1" autoplay muted></video>
      <span class="name">Ana Souza</span>
      <button aria-label="Pin Ana Souza">keep</button>
    </div>
    <div class="tile"><canvas id="c1" width="64" height="48"></canvas>
      <span class="name">Bruno Lima</span></div>
  </div>
  <aside>
    <div role="list" aria-label="Participants">
      <div role="listitem" aria-label="Ana Souza, Meeting host">Ana Souza
        <button aria-label="More actions for Ana Souza">more_vert</button></div>
      <div role="listitem">Rita Alves
        <button aria-label="More actions for Rita Alves">more_vert</button></div>
    </div>
    <div role="log" aria-label="Chat"><div class="message">my referral for Bob
      <button aria-label="React to Rita's message">add_reaction</button></div></div>
    <textarea placeholder="Send a message to everyone">secret draft</textarea>
  </aside>
  <div role="toolbar" aria-label="Call controls">
    <button id="hangup" data-tid="hangup-main-btn" data-state="x y"><span>Leave call</span></button>
    <button aria-label="Show everyone">people</button>
    <button title="Ana Souza is presenting">present_to_all</button>
  </div>
  <p>Ana Souza joined</p>
</main>
<script>
  // Real pixels in the video and the canvas: none of them may reach the outline.
  const canvas = document.getElementById("c1");
  const pen = canvas.getContext("2d");
  pen.fillStyle = "#c03"; pen.fillRect(0, 0, 64, 48);
  document.getElementById("v1").srcObject = canvas.captureStream(5);
</script>
"""
PRE_JOIN = f"""<!doctype html><html><body>
<h1>Ready to join?</h1>
<input id="name" type="text" placeholder="Your name" aria-label="Your name">
<button id="join" data-testid="prejoin.joinMeeting">Join now</button>
<template id="meeting">{IN_MEETING}</template>
<script>
  document.getElementById("join").onclick = () => {{
    document.body.innerHTML = document.getElementById("meeting").innerHTML;
    const canvas = document.getElementById("c1");
    canvas.getContext("2d").fillRect(0, 0, 64, 48);
    document.getElementById("v1").srcObject = canvas.captureStream(5);
  }};
</script></body></html>"""
PEOPLE_AND_WORDS = (
    "Ana",
    "Souza",
    "Bruno",
    "Lima",
    "Rita",
    "Alves",
    "Carla",
    "Dias",
    "referral",
    "Bob",
)
PIXEL_TRACES = ("base64", "data:image", PIXELS[:12], "secret draft")


def private(folder: Path) -> list[Path]:
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = sorted(folder.iterdir())
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    return files


def assert_nobody_in(text: str) -> None:
    for word in (*PEOPLE_AND_WORDS, *PIXEL_TRACES):
        assert word not in text, word


async def test_the_outline_keeps_the_controls_and_leaves_out_the_people(tmp_path: Path) -> None:
    folder = tmp_path / "outlines"
    folder.mkdir(mode=0o755)  # an existing folder is made private too
    outlines = PageOutlines(folder, avoid=["Carla Dias"])  # the chapter's roster
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=launch.chromium(BrowserSettings()), args=launch.flags()
        )
        try:
            page = await browser.new_page()
            await page.set_content(f"<!doctype html><html><body>{IN_MEETING}</body></html>")
            await page.wait_for_function("document.getElementById('v1').readyState >= 2")
            saved = await outlines.save(page, "in the meeting")
        finally:
            await browser.close()
    assert saved == folder / "01-in-the-meeting.json"
    files = private(folder)
    assert [p.name for p in files] == ["01-in-the-meeting.json", "01-in-the-meeting.txt"]
    outline = json.loads(saved.read_text(encoding="utf-8"))
    text = saved.read_text(encoding="utf-8") + files[1].read_text(encoding="utf-8")
    assert_nobody_in(text)
    controls = {
        c.get("label") or c.get("text") or c.get("placeholder"): c for c in outline["controls"]
    }
    # What a profile matches survives: the leave button's words, id and test hook, labels.
    leave = controls["Leave call"]
    assert (leave["tag"], leave["id"], leave["data"]) == (
        "button",
        "hangup",
        {"data-tid": "hangup-main-btn", "data-state": None},  # a hook's value; other names only
    )
    assert "Show everyone" in controls
    assert controls["Send a message to everyone"]["placeholder"] == "Send a message to everyone"
    assert "Pin …" in controls  # a tile's button says what it does, not whom
    assert [h["text"] for h in outline["headings"]] == ["Weekly chapter", "…'s notes"]
    assert outline["media"] == {"videos": 1, "canvases": 1, "images": 1}
    # The structure is all there: the tiles' and the lists' elements, their roles and hooks.
    assert '"role": "log"' in text
    assert '"role": "listitem"' in text
    assert '"data-participant-id": null' in text
    assert "button#hangup" in files[1].read_text(encoding="utf-8")


@pytest_asyncio.fixture
async def meeting_page() -> AsyncIterator[str]:
    async def room(_: web.Request) -> web.Response:
        return web.Response(text=PRE_JOIN, content_type="text/html")

    app = web.Application()
    app.router.add_get("/room", room)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/room"
    finally:
        await runner.cleanup()


def connector(tmp_path: Path, url: str, join: tuple[Step, ...]) -> BrowserConnector:
    chapter = tmp_path / "chapter.toml"
    chapter.write_text(
        '[chapter]\nname = "Lab"\n'
        f'[meeting]\nplatform = "jitsi"\nurl = "{url}"\ndisplay_name = "meetbot"\n'
        "join_timeout_s = 10.0\n[browser]\nstep_timeout_s = 3.0\n"
        '[[roster]]\nname = "Carla Dias"\n',
        encoding="utf-8",
    )
    settings = config.load(chapter, env={})
    bot = BrowserConnector(settings, MonotonicClock(), home=tmp_path / "home")
    bot.profile = Profile(  # the fake client's page, as a profile would describe it
        name="lab",
        url="{url}",
        capture=Capture.TRACKS,
        roster=Roster.DOM,
        join=join,
        admitted="#hangup",
        tiles=Tiles(tile=".tile", name=".name"),
    )
    names = [m.name for m in settings.roster]
    bot.tab_type = outlining(PageOutlines(tmp_path / "screens", names))
    return bot


NAME = Step("type the bot's name", Action.FILL_NAME, "#name")


async def test_each_join_screen_is_outlined_up_to_the_meeting(
    tmp_path: Path, meeting_page: str
) -> None:
    join = (NAME, Step("join now", Action.CLICK, "#join"))
    async with connector(tmp_path, meeting_page, join) as bot:
        assert bot.admitted.is_set()
    files = private(tmp_path / "screens")
    assert [p.name for p in files if p.suffix == ".json"] == [
        "01-page-opened.json",
        "02-join-type-the-bot-s-name.json",
        "03-join-join-now.json",
        "04-admitted.json",
    ]
    opened = (tmp_path / "screens" / "01-page-opened.txt").read_text(encoding="utf-8")
    assert 'input#name[aria-label="Your name"][placeholder="Your name"] type=text' in opened
    assert 'button#join[data-testid="prejoin.joinMeeting"] type=submit  "Join now"' in opened
    named = (tmp_path / "screens" / "02-join-type-the-bot-s-name.json").read_text("utf-8")
    assert "meetbot" not in named  # what was typed into a field is never kept
    inside = (tmp_path / "screens" / "04-admitted.txt").read_text(encoding="utf-8")
    assert '"Leave call"' in inside
    for path in files:
        assert_nobody_in(path.read_text(encoding="utf-8"))


async def test_the_screen_a_join_fails_on_is_outlined(tmp_path: Path, meeting_page: str) -> None:
    join = (NAME, Step("ask to join", Action.CLICK, 'button:has-text("Ask to join")'))
    with pytest.raises(ConnectError, match=r"step 'ask to join': nothing matches"):
        async with connector(tmp_path, meeting_page, join):
            pass
    names = [p.name for p in private(tmp_path / "screens")]
    assert names[-2:] == ["03-join-ask-to-join-failed.json", "03-join-ask-to-join-failed.txt"]
    failed = (tmp_path / "screens" / "03-join-ask-to-join-failed.txt").read_text("utf-8")
    assert '"Join now"' in failed  # what the page offered instead: the mend is one selector


def test_probe_save_page_outlines_the_page_that_did_not_open(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chapter = tmp_path / "chapter.toml"
    url = f"http://127.0.0.1:{closed_port()}/videocalltest.html"
    chapter.write_text(
        '[chapter]\nname = "Lab"\n'
        f'[meeting]\nplatform = "janus_videocall"\nurl = "{url}"\ndisplay_name = "meetbot"\n',
        encoding="utf-8",
    )
    out = tmp_path / "kit"
    assert main(["probe", "--config", str(chapter), "--save-page", str(out)]) == 2
    assert "is unreachable" in capsys.readouterr().err
    assert [p.name for p in private(out)] == [
        "01-page-did-not-open.json",
        "01-page-did-not-open.txt",
    ]
    assert "h1  " in (out / "01-page-did-not-open.txt").read_text(encoding="utf-8")
