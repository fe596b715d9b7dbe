"""A small meeting page with what real platforms' pages have and the Janus demos lack, served on
loopback for the bridge tests that need no Janus (no WebRTC: its tiles play canvas streams).

- Tiles for Ann and "Bob O’Neil" (a typographic apostrophe, the label padded with whitespace),
  each a <video> playing a moving canvas; Cy has no camera and so no tile.
- A participant list drawn only when "People" is clicked (`list=1`), whose entries hold icon
  ligatures, "(you)" and "Meeting host" beside the name, and the name in aria-label.
- A hidden sign-in iframe whose own entry matches the list's selector, as Google's account
  chooser does (`frame=1`).
- A wrapper page holding the meeting in iframe#client (`wrapped_url`), as Zoom's launcher
  holds its web client in iframe#webclient.
- A content security policy allowing sockets to its own origin only (`csp=1`): the bridge's
  link to 127.0.0.1 is then refused, as Chromium's Local Network Access refuses it.

    async with served() as site:
        url = site.url(frame=True, listed=True)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import web

from meetbot.config.schema import Capture
from meetbot.connectors.browser.profiles import Action, Profile, Roster, Step, Tiles
from meetbot.lab.services import free_port

EVERYONE = frozenset({"Ann", "Bob O'Neil", "Cy"})  # as the bot must name them
ON_CAMERA = frozenset({"Ann", "Bob O'Neil"})

PROFILE = Profile(
    name="meeting_page",
    url="{url}",
    capture=Capture.TILES,
    roster=Roster.DOM,
    join=(Step("the meeting", Action.WAIT, "#gallery"),),
    admitted="#gallery",
    tiles=Tiles(tile=".tile", name=".label"),
    participants='[role="listitem"]',
    participant_name="@aria-label",
    participants_open=(Step("people", Action.CLICK, "#people-button", optional=True),),
    scripts=("dom.js",),
    unchecked_media="the test page has no microphone or camera of its own",
    experimental=False,
)

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>a meeting</title></head><body>
<button id="people-button" onclick="openList()" hidden>People</button>
<div id="gallery">
  <div class="tile"><video autoplay muted playsinline></video><span class="label">
     Ann </span></div>
  <div class="tile"><video autoplay muted playsinline></video><span class="label">Bob
     O\u2019Neil</span></div>
</div>
<ul id="people"></ul>
<script>
  const listed = new URLSearchParams(location.search).get("list") === "1";
  document.getElementById("people-button").hidden = !listed;
  document.querySelectorAll("video").forEach((video, i) => {
    const canvas = document.createElement("canvas");
    canvas.width = 320;
    canvas.height = 240;
    const g = canvas.getContext("2d");
    let x = 0;
    setInterval(() => {
      g.fillStyle = i ? "#3060c0" : "#c06030";
      g.fillRect(0, 0, 320, 240);
      g.fillStyle = "#fff";
      g.fillRect((x += 7) % 300, 100, 20, 20);
    }, 100);
    video.srcObject = canvas.captureStream(10);
  });
  function openList() {
    document.getElementById("people").innerHTML = [
      ["meetbot", "<i>mic_off</i>meetbot (you)"],
      ["Ann", "<i>mic_off</i>Ann<i>more_vert</i>"],
      ["Bob O\u2019Neil", "<i>keep</i>Bob O\u2019Neil<span>Meeting host</span>"],
      ["Cy", "<i>mic</i>Cy"],
    ].map(([name, html]) => `<li role="listitem" aria-label="${name}">${html}</li>`).join("");
  }
</script>
FRAME
</body></html>
"""
# Hidden and unrelated to the meeting, like the sign-in and RPC frames of Meet and Teams.
FRAME = (
    '<iframe style="width:1px;height:1px;border:0" srcdoc="<div role=&quot;listitem&quot; '
    'aria-label=&quot;Use another account&quot;>Use another account</div>"></iframe>'
)


@dataclass(frozen=True)
class MeetingPage:
    """The page on 127.0.0.1 at `port` (what an address override names)."""

    port: int

    def wrapped_url(self) -> str:
        """A page that holds the meeting in iframe#client, as Zoom's holds its web client."""
        return f"http://127.0.0.1:{self.port}/wrapper"

    def url(self, *, frame: bool = False, listed: bool = False, csp: bool = False) -> str:
        return (
            f"http://127.0.0.1:{self.port}/meeting?frame={int(frame)}&list={int(listed)}"
            f"&csp={int(csp)}"
        )


async def _wrapper(request: web.Request) -> web.Response:
    html = (
        '<!doctype html><html><body><div id="banner">a launcher around the meeting</div>'
        '<iframe id="client" src="/meeting" style="width:1000px;height:700px"></iframe>'
        "</body></html>"
    )
    return web.Response(text=html, content_type="text/html")


async def _meeting(request: web.Request) -> web.Response:
    query = request.query
    html = PAGE.replace("FRAME", FRAME if query.get("frame") == "1" else "")
    headers = {"Content-Security-Policy": "connect-src 'self'"} if query.get("csp") == "1" else {}
    return web.Response(text=html, content_type="text/html", headers=headers)


@asynccontextmanager
async def served() -> AsyncIterator[MeetingPage]:
    app = web.Application()
    app.router.add_get("/meeting", _meeting)
    app.router.add_get("/wrapper", _wrapper)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = MeetingPage(free_port())
        await web.TCPSite(runner, "127.0.0.1", site.port).start()
        yield site
    finally:
        await runner.cleanup()
