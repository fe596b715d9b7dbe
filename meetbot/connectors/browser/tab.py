"""One Chromium with the meeting open: launch, the page scripts, the profile's steps.

    async with MeetingTab(profile, meeting, browser, sampling, home) as tab:
        await tab.open()                       # the meeting page, scripts injected
        await tab.run_steps(profile.join, "join")
        arrival = await tab.queue.get()        # page messages, pictures, or the page's loss

Everything the page sends arrives on one queue, in order: JSON messages from the page scripts,
`PictureReady` when a track has a new picture (`take` decodes the newest from the page's JPEG,
in memory, never written anywhere), and `Lost` when the page crashed, reloaded or the browser
went away. The page talks over a loopback WebSocket (meetbot.connectors.browser.link), or
Playwright bindings with `use_socket=False` (kept for the bench's comparison).
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import shutil
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import cv2
import numpy as np
from playwright.async_api import BrowserContext, Page, Playwright, async_playwright
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from meetbot import proc
from meetbot.config.schema import BrowserSettings, Capture, MeetingSettings, SamplingSettings
from meetbot.connectors.browser import launch
from meetbot.connectors.browser.arrivals import Arrivals, Lost, Picture, PictureReady
from meetbot.connectors.browser.link import Encoded, PageLink
from meetbot.connectors.browser.profiles import Action, Profile, Step
from meetbot.connectors.browser.to_page import PageConfig, ProfileFacts
from meetbot.errors import ConnectError

log = logging.getLogger(__name__)

OPTIONAL_STEP_S = 2.0  # an optional step (a dialog only some variants show) is given this long
# How often the page polls audio levels when they are the speech source (speech_from_audio).
LEVELS_MS = 250


def page_script(name: str) -> str:
    return (resources.files("meetbot.connectors.browser") / "page" / name).read_text("utf-8")


class MeetingTab:
    def __init__(
        self,
        profile: Profile,
        meeting: MeetingSettings,
        browser: BrowserSettings,
        sampling: SamplingSettings,
        home: Path,
        *,
        use_socket: bool = True,
    ) -> None:
        self.profile = profile
        self.meeting = meeting
        self.browser = browser
        self.capture = profile.capture if browser.capture is Capture.PROFILE else browser.capture
        self.sampling = sampling
        self.home = home
        self.queue = Arrivals()
        self.pictures = 0  # received from the page (for probe and the bench)
        self.use_socket = use_socket
        self._newest: dict[str, Encoded] = {}
        self._link: PageLink | None = None
        self._pw: Playwright | None = None
        self._context: BrowserContext | None = None
        self._page: Page | None = None
        self._folder: Path | None = None
        self._throwaway = True
        self._watching_loss = False
        self.browser_pid: int | None = None  # Chromium's main process, to tell its death apart

    @property
    def page(self) -> Page:
        assert self._page is not None, "open() first"
        return self._page

    async def __aenter__(self) -> Self:
        executable = launch.chromium(self.browser)
        self._folder, self._throwaway = launch.profile_dir(
            self.home, self.browser, self.profile.name
        )
        try:
            if self.use_socket:
                self._link = await PageLink(self._on_message, self._on_picture).__aenter__()
            self._pw = await async_playwright().start()
            self._context = await self._pw.chromium.launch_persistent_context(
                str(self._folder),
                executable_path=executable,
                headless=self.browser.headless,
                args=self.chromium_flags(),
                viewport={"width": 1280, "height": 900},
                locale=launch.LOCALE,
            )
            # Chromium's Local Network Access: a page from a public origin may open the link
            # to 127.0.0.1 only with this permission (core.js falls back to the bindings if
            # it is refused anyway).
            await self._context.grant_permissions(["local-network-access"])
        except BaseException as exc:
            # Failed, or cancelled mid-launch (Ctrl-C while joining): no Chromium, no profile
            # folder and no socket stay behind.
            await self.__aexit__(None, None, None)
            if not isinstance(exc, PlaywrightError):
                raise
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ConnectError(f"Chromium ({executable}) did not start: {first}") from exc
        self._context.on("close", lambda _: self._lost("the browser closed"))
        self.browser_pid = launch.main_pid(self._folder)
        return self

    def chromium_flags(self) -> list[str]:
        """Chromium's command line for this tab (the LNA test adds an address override): the
        bot's microphone and camera send silence and black."""
        assert self._folder is not None
        return [*launch.flags(), *launch.fake_devices(self._folder)]

    @property
    def link_open(self) -> bool | None:
        """Has the page opened its link to Python? None when it uses the bindings anyway."""
        return None if self._link is None else self._link.opened

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._watching_loss = False
        if self._context is not None:
            with contextlib.suppress(PlaywrightError):  # already gone (crashed or killed)
                await self._context.close()
            self._context = None
        if self._pw is not None:
            await self._pw.stop()
            self._pw = None
        if self._link is not None:
            await self._link.__aexit__(None, None, None)
            self._link = None
        self._newest.clear()
        if self._throwaway and self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    async def open(self) -> None:
        """The meeting page with the bridge's scripts in it (before any page script)."""
        context = self._context
        assert context is not None
        await context.expose_binding("__meetbotEvent", self._on_event)
        await context.expose_binding("__meetbotFrame", self._on_frame)
        config, facts = self.page_config()
        await context.add_init_script(script=f"window.__meetbotConfig = {json.dumps(config)};")
        await context.add_init_script(script=f"window.__meetbotProfile = {json.dumps(facts)};")
        await context.add_init_script(script=page_script("core.js"))
        for name in self.profile.scripts:
            await context.add_init_script(script=page_script(name))
        page = context.pages[0] if context.pages else await context.new_page()
        self._page = page
        page.on("crash", lambda _: self._lost("the page crashed"))
        page.on("close", lambda _: self._lost("the page closed"))
        page.on("framenavigated", self._navigated)
        url = self.profile.page_url(self.meeting.url, self.meeting.room)
        try:
            await page.goto(url, timeout=self.browser.step_timeout_s * 1000)
        except PlaywrightError as exc:
            reason = str(exc).strip().splitlines()[0]
            raise ConnectError(
                f"the meeting page {url} is unreachable ({reason}); check meeting.url"
            ) from exc

    def page_config(self) -> tuple[PageConfig, ProfileFacts]:
        """What the page scripts are told: the core's settings and the profile's page facts."""
        config: PageConfig = {
            "fps": self.sampling.fps,
            "maxWidth": self.sampling.max_width,
            "capture": self.capture.value,
            "perSample": self.browser.frames_per_sample,
            "link": self._link.url if self._link is not None else "",
            # Room drops the levels unless they are the speech source: the page then never polls.
            "levelsMs": LEVELS_MS if self.sampling.speech_from_audio else 0,
            "frame": self.profile.frame,
        }
        tiles = self.profile.tiles
        facts: ProfileFacts = {
            "tile": tiles.tile,
            "name": tiles.name,
            "video": tiles.video,
            "speaking": tiles.speaking,
            "nextPage": tiles.next_page,
            "participants": self.profile.participants,
            "participantName": self.profile.participant_name,
            "ended": list(self.profile.ended),
            "removed": list(self.profile.removed),
            "pageSize": self.browser.page_size or tiles.page_size,
            "pageDwellMs": self.browser.page_dwell_s * 1000,
        }
        return config, facts

    def watch_for_loss(self) -> None:
        """From now on a reload or navigation of the page counts as losing the meeting."""
        self._watching_loss = True

    async def run_steps(self, steps: tuple[Step, ...], phase: str, text: str = "") -> None:
        for step in steps:
            await self.step(step, phase, text)

    async def step(self, step: Step, phase: str, text: str = "") -> bool:
        """Do one profile step; False if an optional step's element never appeared."""
        page = self.page
        wait_s = OPTIONAL_STEP_S if step.optional else self.browser.step_timeout_s
        target = page.locator(step.selector).first
        try:
            await target.wait_for(state="visible", timeout=wait_s * 1000)
            match step.action:
                case Action.CLICK:
                    await target.click(timeout=wait_s * 1000)
                case Action.FILL_NAME:
                    await target.fill(self.meeting.display_name, timeout=wait_s * 1000)
                case Action.FILL_TEXT:
                    await target.fill(text, timeout=wait_s * 1000)
                    await target.press("Enter")
                case Action.PRESS_ENTER:
                    await target.press("Enter")
                case Action.WAIT:
                    pass
        except PlaywrightTimeout as exc:
            if step.optional:
                log.info(
                    "%s: optional step %r skipped (%s not shown)", phase, step.what, step.selector
                )
                return False
            raise ConnectError(
                f"{self.profile.name} {phase} step {step.what!r}: nothing matches "
                f"{step.selector!r} within {wait_s:g} s; if the page changed, mend "
                f"meetbot/connectors/browser/profiles/{self.profile.name}.py"
            ) from exc
        return True

    async def visible_text(self, selector: str) -> str | None:
        """The text of the first visible element matching `selector`, else None."""
        if not selector:
            return None
        target = self.page.locator(selector).first
        try:
            if await target.is_visible():
                return (await target.inner_text(timeout=1000)).strip()
        except PlaywrightError:
            return None
        return None

    @property
    def commands(self) -> bool:
        """Can Python tell the page things (pause a track's pictures)? Over the socket only."""
        return self._link is not None

    async def tell(self, message: dict[str, Any]) -> None:
        """A command to the page scripts; ConnectError when the page cannot be reached."""
        if self._link is None:
            raise ConnectError("the meeting page takes commands over its socket only")
        await self._link.send(message)

    def take(self, track_id: str) -> Picture | None:
        """The newest picture of a track, decoded now (in memory; the JPEG is dropped)."""
        encoded = self._newest.pop(track_id, None)
        if encoded is None:
            return None
        data = np.frombuffer(encoded.jpeg, np.uint8)
        picture = cv2.imdecode(data, cv2.IMREAD_COLOR)
        if picture is None:
            return None
        return Picture(track_id, np.asarray(picture, np.uint8), encoded.at_ms)

    # --- what the page sends ---
    def _on_message(self, message: dict[str, Any]) -> None:
        self.queue.put_nowait(message)

    def _on_picture(self, encoded: Encoded) -> None:
        self.pictures += 1
        if encoded.track_id not in self._newest:
            self.queue.put_nowait(PictureReady(encoded.track_id))
        self._newest[encoded.track_id] = encoded  # an older one not yet taken is skipped

    def _on_event(self, _source: Any, text: str) -> None:
        try:
            self._on_message(json.loads(text))
        except ValueError:
            log.debug("page sent something that is not JSON")

    def _on_frame(self, _source: Any, track_id: str, at_ms: float, b64: str) -> None:
        self._on_picture(Encoded(track_id, base64.b64decode(b64), float(at_ms), float(at_ms)))

    def _navigated(self, frame: Any) -> None:
        if self._page is not None and frame == self._page.main_frame:
            self._lost("the page reloaded or navigated away")

    def _lost(self, reason: str) -> None:
        if self._watching_loss:
            if self.browser_pid is not None and not proc.running(self.browser_pid):
                # Chromium itself died (crashed, killed, out of memory): its page says "closed"
                # first, which would hide that.
                reason = "Chromium exited (crashed or killed)"
            self._watching_loss = False
            self.queue.put_nowait(Lost(reason))
