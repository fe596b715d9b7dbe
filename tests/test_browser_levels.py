"""The page core's audio-level poll, in a real Chromium: two connections in one page carry a
WebAudio tone, and the core reports its receiver's level only when Python asked for levels.

Each poll makes a blocking call into WebRTC's worker thread per receiver, so a bot whose speech
comes from the platform's own signalling (speech_from_audio off) must not poll at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from playwright.async_api import async_playwright

from meetbot.config.schema import BrowserSettings
from meetbot.connectors.browser import launch
from meetbot.connectors.browser.tab import page_script
from tests.browser_meeting import needs_browser

pytestmark = [needs_browser]

# A sender and a receiver connection in the same page, negotiated directly, carrying Chromium's
# fake microphone (a beep). The page is served by Playwright itself: getUserMedia needs a
# secure context (localhost is one), and only a page with a microphone gathers candidates on
# every interface, the sandbox's too.
PAGE = "http://localhost/levels"
LOOPBACK_CALL = """async () => {
  const media = await navigator.mediaDevices.getUserMedia({ audio: true });
  const send = new RTCPeerConnection();
  const receive = new RTCPeerConnection();
  send.onicecandidate = (e) => e.candidate && receive.addIceCandidate(e.candidate);
  receive.onicecandidate = (e) => e.candidate && send.addIceCandidate(e.candidate);
  send.addTrack(media.getAudioTracks()[0], media);
  await send.setLocalDescription(await send.createOffer());
  await receive.setRemoteDescription(send.localDescription);
  await receive.setLocalDescription(await receive.createAnswer());
  await send.setRemoteDescription(receive.localDescription);
  // Played out, as a meeting page does: a receiver reports no sources for unplayed audio.
  const speaker = new Audio();
  speaker.srcObject = new MediaStream([receive.getReceivers()[0].track]);
  await speaker.play();
}"""


async def page_events(levels_ms: int, wait_s: float) -> list[dict[str, Any]]:
    """Every event the core posts in a page with the loopback call, until a levels report came
    or, once connected, `wait_s` passed."""
    events: list[dict[str, Any]] = []
    connected = asyncio.Event()
    reported = asyncio.Event()

    def on_event(_source: Any, text: str) -> None:
        event = json.loads(text)
        events.append(event)
        if event.get("type") == "connection" and event.get("state") == "connected":
            connected.set()
        if event.get("type") == "levels":
            reported.set()

    config = {"link": "", "levelsMs": levels_ms}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=launch.chromium(BrowserSettings()), args=launch.flags()
        )
        try:
            context = await browser.new_context()
            await context.expose_binding("__meetbotEvent", on_event)
            await context.add_init_script(script=f"window.__meetbotConfig = {json.dumps(config)};")
            await context.add_init_script(script=page_script("core.js"))
            await context.route(PAGE, lambda route: route.fulfill(body="<p>levels</p>"))
            page = await context.new_page()
            await page.goto(PAGE)
            await page.evaluate(LOOPBACK_CALL)
            async with asyncio.timeout(60):
                await connected.wait()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait_s):
                    await reported.wait()
        finally:
            await browser.close()
    return events


async def test_levels_are_posted_only_when_asked_for() -> None:
    polled = await page_events(100, wait_s=30)
    levels = [e["levels"] for e in polled if e.get("type") == "levels"]
    assert levels, [e.get("type") for e in polled]
    (track_id, level), *_ = levels[-1]
    assert track_id.startswith("p2:")  # the receiving connection, the second one made
    assert 0 <= level <= 1

    quiet = await page_events(0, wait_s=5)  # 50 polls' time, had it polled
    assert [e["kind"] for e in quiet if e.get("type") == "track"] == ["audio"]  # the call ran
    assert not [e for e in quiet if e.get("type") == "levels"]
