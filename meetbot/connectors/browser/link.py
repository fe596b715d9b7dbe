"""The page's line to Python: a WebSocket on 127.0.0.1, binary pictures and JSON messages.

Measured here (bench/browser.py, and the differential test on a loaded machine): Playwright's
CDP bindings carry every call through its driver process and back into the page, base64 JSON
each way; with five 640-pixel feeds at two pictures a second on a busy machine they fell 20 s
behind. This socket takes the JPEG bytes as they are, straight from the page, with no reply.

A picture is one binary message: 2 bytes (big-endian) header length, a JSON header
{"id": track id, "at": capture time in the page's epoch milliseconds, "sent": when its JPEG was
ready, same clock}, then the JPEG. Only the
newest undecoded picture of each track is kept (`Pictures`): a slow consumer skips pictures,
never queues them. Text messages are the page scripts' JSON events, kept in order (their types
are meetbot.connectors.browser.wire's).

Python sends the page JSON commands on the same socket (`send`): pause or resume the
pictures of some tracks (meetbot.connectors.browser.valve).

The socket listens on loopback only, on a random port, at a random path: another page or
process on the machine cannot feed the bot pictures without knowing it.
"""

from __future__ import annotations

import json
import logging
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import aiohttp
from aiohttp import web

from meetbot.errors import ConnectError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Encoded:
    """A picture as the page sent it: JPEG bytes, decoded only if it is still the newest."""

    track_id: str
    jpeg: bytes
    at_ms: float  # taken from the video, page epoch ms
    sent_ms: float  # JPEG ready and sent (the page's encoding delay is sent_ms - at_ms)


OnMessage = Callable[[dict[str, Any]], None]
OnPicture = Callable[[Encoded], None]


class PageLink:
    def __init__(self, on_message: OnMessage, on_picture: OnPicture) -> None:
        self.on_message = on_message
        self.on_picture = on_picture
        self.path = "/" + secrets.token_urlsafe(16)
        self.port = 0
        self.received = 0  # pictures, for probe and the bench
        self.opened = False  # the page reached it (Chromium may refuse: Local Network Access)
        self._runner: web.AppRunner | None = None
        self._ws: web.WebSocketResponse | None = None  # the page's socket, once open

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{self.path}"

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_get(self.path, self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
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

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=8 * 1024 * 1024)
        await ws.prepare(request)
        self.opened = True
        self._ws = ws  # a reloaded page opens a new one: commands go to the newest
        try:
            await self._read(ws)
        finally:
            if self._ws is ws:
                self._ws = None
        return ws

    async def send(self, message: dict[str, Any]) -> None:
        """A command to the page; ConnectError when it has no open socket (gone or reloading)."""
        ws = self._ws
        if ws is None or ws.closed:
            raise ConnectError("the meeting page's link is not open")
        try:
            await ws.send_str(json.dumps(message))
        except (ConnectionError, RuntimeError) as exc:
            raise ConnectError(f"the meeting page's link broke: {exc}") from exc

    async def _read(self, ws: web.WebSocketResponse) -> None:
        async for message in ws:
            if message.type is aiohttp.WSMsgType.TEXT:
                try:
                    self.on_message(json.loads(message.data))
                except ValueError:
                    log.debug("page sent text that is not JSON")
            elif message.type is aiohttp.WSMsgType.BINARY:
                picture = _picture(message.data)
                if picture is not None:
                    self.received += 1
                    self.on_picture(picture)


def _picture(data: bytes) -> Encoded | None:
    if len(data) < 2:
        return None
    size = int.from_bytes(data[:2], "big")
    try:
        header = json.loads(data[2 : 2 + size])
        at = float(header["at"])
        sent = float(header.get("sent", at))
        return Encoded(str(header["id"]), bytes(data[2 + size :]), at, sent)
    except (ValueError, KeyError, TypeError):
        return None
