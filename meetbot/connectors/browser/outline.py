"""The mend kit: `meetbot probe --save-page DIR` writes how each join screen is built.

When a platform changes its page, the organiser who saw the bot fail sends these files to
whoever mends the profile (meetbot/connectors/browser/profiles/). At each screen the join
reaches (the page opened, after each step, the lobby, in the meeting) and where it failed,
page/outline.js describes the page: tags, ids, classes, roles, data-* attribute names and the
words of controls and headings. It leaves out who is there and what they said (see the
script's header) and every picture; here every string is also rid of the chapter's roster
names. DIR/NN-<screen>.json and a readable .txt are private to the user (0700 folder, 0600
files): a page's words can still name the meeting.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from meetbot.connectors.browser.profiles import Step
from meetbot.connectors.browser.tab import MeetingTab, page_script
from meetbot.errors import ConfigError, ConnectError

log = logging.getLogger(__name__)

MAX_FRAMES = 8  # a meeting page's own iframes (the client, sign-in, consent); more are ads
OUTLINE_S = 10.0  # a page too busy to answer in this long is left without its outline


class PageOutlines:
    """Numbered outlines of one probe's screens, written to a private folder."""

    def __init__(self, folder: Path, avoid: Iterable[str] = ()) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(folder, 0o700)  # an existing folder too: the files name the meeting
        except OSError as exc:
            raise ConfigError(
                f"--save-page {folder}: cannot make it a private folder ({exc})"
            ) from exc
        self.folder = folder
        self.taken = 0
        # Whole names and their words (3 letters or more): a page may write "Souza, Ana".
        words = {w for name in avoid for w in (name.strip(), *re.findall(r"\w{3,}", name)) if w}
        self._names = (
            re.compile(
                "|".join(
                    rf"(?<!\w){re.escape(w)}(?!\w)" for w in sorted(words, key=len, reverse=True)
                ),
                re.IGNORECASE,
            )
            if words
            else None
        )

    async def save(self, page: Page, screen: str) -> Path | None:
        """Outline the page as it is now; None (and a log line) when the page is gone."""
        script = page_script("outline.js")
        try:
            async with asyncio.timeout(OUTLINE_S):
                try:
                    outline = await page.main_frame.evaluate(script)
                except PlaywrightError:
                    # The page was navigating (a redirect, Chromium's own error page after a
                    # failed load): outline where it landed.
                    await page.wait_for_load_state("domcontentloaded")
                    outline = await page.main_frame.evaluate(script)
                frames = []
                for frame in page.frames[1 : 1 + MAX_FRAMES]:
                    try:
                        frames.append(await frame.evaluate(script))
                    except PlaywrightError:
                        continue  # detached while we looked
        except (PlaywrightError, TimeoutError) as exc:
            why = str(exc).splitlines()[0] if str(exc) else "no answer"
            log.warning("--save-page: no outline of %r (%s)", screen, why)
            return None
        self.taken += 1
        outline = self._scrub({"screen": screen, **outline, "frames": frames})
        name = f"{self.taken:02d}-{re.sub(r'[^a-z0-9]+', '-', screen.lower()).strip('-')}"
        _write_private(self.folder / f"{name}.json", json.dumps(outline, indent=1) + "\n")
        _write_private(self.folder / f"{name}.txt", readable(outline))
        return self.folder / f"{name}.json"

    def _scrub(self, value: Any) -> Any:
        if isinstance(value, str):
            return value if self._names is None else self._names.sub("…", value)
        if isinstance(value, list):
            return [self._scrub(v) for v in value]
        if isinstance(value, dict):
            return {self._scrub(k): self._scrub(v) for k, v in value.items()}
        return value


def readable(outline: dict[str, Any]) -> str:
    """The outline for a person: controls and headings first, then the page's tree."""
    media = outline["media"]
    lines = [
        f"screen: {outline['screen']}  ({outline['origin']})",
        f"{media['videos']} video, {media['canvases']} canvas, {media['images']} image elements "
        "(contents never kept); people places are marked [people], their words left out",
        "",
        "controls:",
        *(f"  {_element(c)}" for c in outline["controls"]),
        "headings:",
        *(f"  {_element(h)}" for h in outline["headings"]),
        "",
        "page:",
    ]
    if outline["tree"] is not None:
        lines.extend(_tree(outline["tree"], 1))
    if outline["truncated"]:
        lines.append(f"  … (cut at {outline['nodes']} elements)")
    for frame in outline["frames"]:
        lines += ["", f"frame {frame['origin']}:", *(f"  {_element(c)}" for c in frame["controls"])]
    return "\n".join(lines) + "\n"


def _element(node: dict[str, Any]) -> str:
    out = str(node["tag"]) + (f"#{node['id']}" if "id" in node else "")
    out += "".join(f".{c}" for c in node.get("classes", ()))
    if "role" in node:
        out += f'[role="{node["role"]}"]'
    for key, value in node.get("data", {}).items():
        out += f"[{key}]" if value is None else f'[{key}="{value}"]'
    for attr, key in (("aria-label", "label"), ("title", "title"), ("placeholder", "placeholder")):
        if key in node:
            out += f'[{attr}="{node[key]}"]'
    if "type" in node:
        out += f" type={node['type']}"
    flags = [f for f in ("people", "disabled", "hidden") if node.get(f)]
    out += "".join(f" [{f}]" for f in flags)
    if "text" in node:
        out += f'  "{node["text"]}"'
    if node.get("more"):
        out += f"  (+{node['more']} more like it)"
    return out


def _tree(node: dict[str, Any], depth: int) -> list[str]:
    lines = ["  " * depth + _element(node)]
    for child in node.get("children", ()):
        lines.extend(_tree(child, depth + 1))
    return lines


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        os.fchmod(fd, 0o600)  # a file left from an earlier probe keeps its old mode otherwise
        out.write(text)


def outlining(outlines: PageOutlines) -> type[MeetingTab]:
    """A MeetingTab that outlines every screen the join reaches, and the one it failed on."""

    class OutliningTab(MeetingTab):
        _admitted = False
        _failed = False
        _lobby = False
        _pending: asyncio.Task[Path | None] | None = None

        async def _save(self, screen: str) -> None:
            if self._pending is not None:
                await self._pending
                self._pending = None
            try:
                page = self.page
            except AssertionError:
                return  # never opened: nothing to outline
            await outlines.save(page, screen)

        async def open(self) -> None:
            try:
                await super().open()
            except ConnectError:
                self._failed = True
                await self._save("page did not open")
                raise
            await self._save("page opened")

        async def step(self, step: Step, phase: str, text: str = "") -> bool:
            try:
                done = await super().step(step, phase, text)
            except ConnectError:
                self._failed = True
                await self._save(f"{phase} {step.what} failed")
                raise
            if done and phase != "leave":
                await self._save(f"{phase} {step.what}")
            return done

        async def visible_text(self, selector: str) -> str | None:
            found = await super().visible_text(selector)
            if found is not None and selector == self.profile.lobby and not self._lobby:
                self._lobby = True
                await self._save("lobby")
            return found

        def watch_for_loss(self) -> None:
            super().watch_for_loss()
            if not self._admitted:
                self._admitted = True
                # Called synchronously once the join is done: outline it in the background,
                # awaited before the next screen's outline or the tab's close.
                self._pending = asyncio.get_running_loop().create_task(
                    outlines.save(self.page, "admitted")
                )

        async def __aexit__(
            self,
            exc_type: type[BaseException] | None,
            exc: BaseException | None,
            tb: TracebackType | None,
        ) -> None:
            if not self._admitted and not self._failed:
                await self._save("not admitted")  # refused, the lobby timed out, or stopped
            elif self._pending is not None:
                await self._pending
            await super().__aexit__(exc_type, exc, tb)

    return OutliningTab
