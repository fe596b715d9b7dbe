"""Janus's own web clients (Debian's janus-demos), served on loopback for the browser bridge.

    async with JanusServer() as janus, DemoPages(janus.url) as pages:
        url = pages.url("videoroomtest.html")     # or mvideoroomtest.html

The pages are copied to a temporary folder with a patched settings.js: the Janus URL is the lab
Janus's WebSocket API, and `token`/`apisecret` are defined (Debian's settings.js lacks them and
the pages then fail with "token is not defined"). The libraries the pages load
(`javascript/`, `fonts/font-awesome`) are links to Debian's packaged copies. Nothing is served
beyond 127.0.0.1.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

from meetbot.config.schema import MeetingSettings
from meetbot.errors import ConnectError
from meetbot.lab.services import free_port

if TYPE_CHECKING:
    from aiohttp import web

DEMOS = Path("/usr/share/janus/demos")
_LIBRARIES = {
    "javascript": Path("/usr/share/javascript"),
    "fonts/font-awesome": Path("/usr/share/fonts-font-awesome"),
}
_PAGES = ("videoroomtest", "mvideoroomtest", "videocalltest")  # rooms, and a call with a chat
# `meetbot demo --platform web --client NAME` -> browser profile -> page
CLIENTS = {"videoroom": "janus_videoroom", "mvideoroom": "janus_mvideoroom"}
PAGES = {"janus_videoroom": "videoroomtest.html", "janus_mvideoroom": "mvideoroomtest.html"}
BOT_NAME = "meetbot"  # the demo clients accept letters and digits only


def settings_js(janus_url: str) -> str:
    """The demos' settings.js for one Janus: its API URL, no STUN/TURN, no auth."""
    return (
        "// Written by meetbot.lab.demo_pages: the lab Janus, no STUN/TURN, no auth.\n"
        f'var server = "{janus_url}";\n'
        "var iceServers = [];\n"
        "var token = null;\n"
        "var apisecret = null;\n"
    )


def web_meeting(meeting: MeetingSettings, platform: str, pages: DemoPages) -> MeetingSettings:
    """The meeting settings of a bot on one of the demo clients served by `pages`."""
    return dataclasses.replace(
        meeting, platform=platform, url=pages.url(PAGES[platform]), display_name=BOT_NAME
    )


class DemoPages:
    """A static web server for a patched copy of the Janus demo pages."""

    def __init__(self, janus_url: str, *, source: Path = DEMOS) -> None:
        self.janus_url = janus_url
        self.source = source
        self.port = 0
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._runner: web.AppRunner | None = None

    def url(self, page: str = "videoroomtest.html") -> str:
        return f"http://127.0.0.1:{self.port}/{page}"

    async def __aenter__(self) -> Self:
        if not (self.source / "videoroomtest.html").exists():
            raise ConnectError(
                f"the Janus demo pages are not in {self.source}; apt-get install janus-demos"
            )
        self._tmp = tempfile.TemporaryDirectory(prefix="meetbot-demo-pages-")
        root = Path(self._tmp.name)
        self._copy(root)
        from aiohttp import web  # here: `meetbot demo --help` needs CLIENTS, not a web server

        app = web.Application()
        app.router.add_static("/", root, follow_symlinks=True)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        self.port = free_port()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        try:
            await site.start()
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def _copy(self, root: Path) -> None:
        for page in _PAGES:
            for suffix in (".html", ".js"):
                shutil.copy(self.source / f"{page}{suffix}", root)
        for item in ("css", "up_arrow.png", "favicon.ico", "navbar.html", "footer.html"):
            path = self.source / item
            if path.is_dir():
                shutil.copytree(path, root / item)
            elif path.exists():
                shutil.copy(path, root)
        for name, target in _LIBRARIES.items():
            link = root / name
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(target)
        # navbar/footer are loaded by the pages; their absence only leaves the page bare.
        (root / "settings.js").write_text(settings_js(self.janus_url), encoding="utf-8")
