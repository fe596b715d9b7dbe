"""A local stand-in for Discord's HTTP API that records every request discord.py makes.

It listens on 127.0.0.1 only and answers the way Discord does where discord.py cares: the
Content-Type is exactly `application/json` (discord.py compares the header verbatim), 429s carry
`Via` and a JSON `retry_after` (without Via discord.py takes a 429 for a Cloudflare ban), a
message created with a nonce it has seen returns the existing message (Discord's enforce_nonce).
Tests script failures with `fail_next` and wait on `wait_for`, never on the clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import zlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

from meetbot.publishers.discord_wire import (
    current_api_base,
    current_gateway,
    use_api_base,
    use_gateway,
)

BOT_ID = 900000000000000001
APP_ID = 900000000000000002
GUILD_ID = 900000000000000003
LEAD_ROLE_ID = 700
MEMBER_ROLE_ID = 701
WEBHOOK_ID = 900000000000000004
WEBHOOK_TOKEN = "w" * 68
WEBHOOK_URL = f"https://discord.com/api/webhooks/{WEBHOOK_ID}/{WEBHOOK_TOKEN}"


@dataclass(frozen=True, slots=True)
class Recorded:
    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    headers: dict[str, str]
    payload: Any  # the JSON body (an object, or a list for bulk commands), or payload_json
    files: tuple[tuple[str, bytes], ...] = ()  # (filename, data)
    status: int = 200  # what the fake answered


@dataclass(slots=True)
class _Failure:
    status: int
    retry_after: float = 0.0
    via: bool = True
    hang: asyncio.Event | None = None  # answer only once set (a timeout, as the client sees it)
    after_create: bool = False  # create the message, then fail: the "response lost" case
    after: int = 0  # requests of its kind answered normally before this one applies
    late_s: float = 0.0  # with status 200: create the message, answer it this much later


@dataclass(slots=True)
class FakeDiscord:
    base: str = ""
    requests: list[Recorded] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)  # created, in order
    _failures: dict[str, list[_Failure]] = field(default_factory=dict)
    _by_nonce: dict[str, dict[str, Any]] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    gateway: str = ""  # ws:// URL of the fake gateway
    frames: list[dict[str, Any]] = field(default_factory=list)  # what the bot sent the gateway
    _socket: Callable[[dict[str, Any]], Any] | None = None
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def fail_next(
        self,
        kind: str,
        status: int,
        *,
        retry_after: float = 0.0,
        via: bool = True,
        hang: asyncio.Event | None = None,
        after_create: bool = False,
        after: int = 0,
    ) -> None:
        """Make the next request of `kind` ("message", "webhook", "callback") fail this way
        (or the one after `after` normal answers: the second part of a message, say)."""
        self._failures.setdefault(kind, []).append(
            _Failure(status, retry_after, via, hang, after_create, after)
        )

    def answer_late(self, kind: str, late_s: float, *, times: int = 1) -> None:
        """The next `times` requests of `kind` create their message at once and answer
        `late_s` seconds later: a slow Discord, as a client with a shorter timeout sees it."""
        for _ in range(times):
            self._failures.setdefault(kind, []).append(_Failure(200, late_s=late_s))

    def sent(self, prefix: str = "", method: str = "POST") -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(prefix)]

    async def wait_for(
        self, predicate: Callable[[list[Recorded]], bool], within_s: float = 10.0
    ) -> list[Recorded]:
        async with asyncio.timeout(within_s), self._changed:
            await self._changed.wait_for(lambda: predicate(self.requests))
        return self.requests

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway DISPATCH (op 0) to the connected bot, as Discord does."""
        assert self._socket is not None, "no bot is connected to the gateway"
        await self._socket({"op": 0, "t": event, "s": next(self._seq), "d": data})

    async def wait_for_frame(self, op: int, within_s: float = 10.0) -> dict[str, Any]:
        async with asyncio.timeout(within_s), self._changed:
            await self._changed.wait_for(lambda: any(f["op"] == op for f in self.frames))
        return next(f for f in self.frames if f["op"] == op)

    # -- the HTTP side ---------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/api/v10/users/@me", self._me)
        app.router.add_get("/api/v10/oauth2/applications/@me", self._application)
        app.router.add_post("/api/v10/channels/{channel}/messages", self._create_message)
        app.router.add_post("/api/v10/webhooks/{wid}/{token}", self._execute_webhook)
        app.router.add_post("/api/v10/interactions/{iid}/{token}/callback", self._callback)
        app.router.add_patch("/api/v10/webhooks/{wid}/{token}/messages/{mid}", self._edit)
        app.router.add_put("/api/v10/applications/{app}/commands", self._commands)
        app.router.add_put("/api/v10/applications/{app}/guilds/{guild}/commands", self._commands)
        return app

    async def _record(self, request: web.Request, status: int) -> Recorded:
        payload: dict[str, Any] | None = None
        files: list[tuple[str, bytes]] = []
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                assert isinstance(part, BodyPartReader)  # discord.py never nests multiparts
                data = await part.read()
                if part.name == "payload_json":
                    payload = json.loads(data)
                else:
                    files.append((part.filename or "", bytes(data)))
        elif request.can_read_body:
            payload = json.loads(await request.read())
        path = request.path.removeprefix("/api/v10")
        rec = Recorded(
            request.method,
            path,
            dict(request.query),
            dict(request.headers),
            payload,
            tuple(files),
            status,
        )
        async with self._changed:
            self.requests.append(rec)
            self._changed.notify_all()
        return rec

    async def _scripted(self, kind: str) -> _Failure | None:
        queue = self._failures.get(kind)
        if queue and queue[0].after > 0:
            queue[0].after -= 1
            return None
        return queue.pop(0) if queue else None

    async def _answer(
        self, request: web.Request, kind: str, ok: Callable[[Recorded], Any]
    ) -> web.Response:
        failure = await self._scripted(kind)
        if failure is None:
            rec = await self._record(request, 200)
            return _json(ok(rec))
        rec = await self._record(request, failure.status)
        if failure.late_s:
            created = ok(rec)
            await asyncio.sleep(failure.late_s)
            return _json(created)
        if failure.after_create:
            ok(rec)
        if failure.hang is not None:
            await failure.hang.wait()
        if failure.status == 429:
            # Discord sends the wait in the body and, rounded up, in Retry-After.
            headers = {"Retry-After": str(math.ceil(failure.retry_after))}
            if failure.via:
                headers["Via"] = "1.1 google"
            body = {
                "message": "You are being rate limited.",
                "retry_after": failure.retry_after,
                "global": False,
            }
            return _json(body, status=429, headers=headers)
        return _json({"message": "scripted failure", "code": 0}, status=failure.status)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        """A one-session gateway: HELLO, IDENTIFY → READY + GUILD_CREATE, heartbeat ACKs.

        discord.py asks for zlib-stream: every frame is one zlib stream, flushed per message.
        """
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        assert request.query.get("compress") == "zlib-stream"
        deflate = zlib.compressobj()
        lock = asyncio.Lock()

        async def send(payload: dict[str, Any]) -> None:
            async with lock:  # one zlib stream: frames must leave in the order compressed
                data = deflate.compress(json.dumps(payload).encode())
                await ws.send_bytes(data + deflate.flush(zlib.Z_SYNC_FLUSH))

        self._socket = send
        await send({"op": 10, "s": None, "t": None, "d": {"heartbeat_interval": 45000}})
        async for msg in ws:
            frame = json.loads(msg.data)
            async with self._changed:
                self.frames.append(frame)
                self._changed.notify_all()
            if frame["op"] == 1:
                await send({"op": 11, "s": None, "t": None, "d": None})
            elif frame["op"] == 2:
                await self.dispatch(
                    "READY",
                    {
                        "v": 10,
                        "user": user(BOT_ID, "meetbot", bot=True),
                        "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
                        "session_id": "fake-session",
                        "resume_gateway_url": self.gateway,
                        "application": {"id": str(APP_ID), "flags": 0},
                    },
                )
                await self.dispatch("GUILD_CREATE", guild_create())
        self._socket = None
        return ws

    async def _me(self, request: web.Request) -> web.Response:
        return await self._answer(request, "me", lambda rec: user(BOT_ID, "meetbot", bot=True))

    async def _application(self, request: web.Request) -> web.Response:
        await self._record(request, 200)
        return _json(
            {
                "id": str(APP_ID),
                "name": "meetbot",
                "description": "",
                "icon": None,
                "bot_public": False,
                "bot_require_code_grant": False,
                "owner": user(1, "owner"),
                "verify_key": "0" * 64,
                "flags": 0,
            }
        )

    async def _create_message(self, request: web.Request) -> web.Response:
        channel = int(request.match_info["channel"])
        return await self._answer(request, "message", lambda rec: self._store(rec, channel))

    async def _execute_webhook(self, request: web.Request) -> web.Response:
        kind = "followup" if int(request.match_info["wid"]) == APP_ID else "webhook"
        response = await self._answer(request, kind, lambda rec: self._store(rec, 555))
        if (
            request.query.get("wait") in (None, "false")
            and kind == "webhook"
            and response.status == 200
        ):
            return web.Response(status=204)
        return response

    async def _callback(self, request: web.Request) -> web.Response:
        failure = await self._scripted("callback")
        rec = await self._record(request, failure.status if failure else 200)
        if failure:
            return _json({"message": "scripted failure", "code": 0}, status=failure.status)
        # discord.py 2.7 asks with_response=1 and reads back the callback and its resource.
        payload = rec.payload or {}
        kind = payload.get("type", 4)
        flags = (payload.get("data") or {}).get("flags", 0)
        resource: dict[str, Any] = {"type": kind}
        if kind == 4:
            resource["message"] = self._message(payload.get("data"), 555)
        return _json(
            {
                "interaction": {
                    "id": request.match_info["iid"],
                    "type": 2,
                    "response_message_loading": kind == 5,
                    "response_message_ephemeral": bool(flags & 64),
                },
                "resource": resource,
            }
        )

    async def _commands(self, request: web.Request) -> web.Response:
        """Bulk-overwrite of application commands: echo them back with ids, as Discord does."""
        rec = await self._record(request, 200)
        guild = request.match_info.get("guild")
        commands = [
            {
                "id": str(next(self._ids)),
                "application_id": str(APP_ID),
                "version": "1",
                "default_member_permissions": None,
                **({"guild_id": guild} if guild else {}),
                **command,
            }
            for command in (rec.payload or [])
        ]
        return _json(commands)

    async def _edit(self, request: web.Request) -> web.Response:
        rec = await self._record(request, 200)
        return _json(self._message(rec.payload, 555))

    def _store(self, rec: Recorded, channel: int) -> dict[str, Any]:
        nonce = (rec.payload or {}).get("nonce")
        if nonce is not None and nonce in self._by_nonce:
            return self._by_nonce[nonce]  # Discord's enforce_nonce: the existing message
        message = self._message(rec.payload, channel)
        self.messages.append(message)
        if nonce is not None:
            self._by_nonce[nonce] = message
        return message

    def _message(self, payload: dict[str, Any] | None, channel: int) -> dict[str, Any]:
        payload = payload or {}
        return {
            "id": str(next(self._ids)),
            "channel_id": str(channel),
            "author": user(BOT_ID, "meetbot", bot=True),
            "content": payload.get("content") or "",
            "timestamp": "2026-01-05T18:00:00+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": payload.get("embeds") or [],
            "pinned": False,
            "type": 0,
            "nonce": payload.get("nonce"),
            "flags": payload.get("flags", 0),
        }


def guild_create() -> dict[str, Any]:
    """The chapter's server as GUILD_CREATE brings it: the roles are what /meetbot reads."""

    def role(rid: int, name: str, position: int) -> dict[str, Any]:
        return {
            "id": str(rid),
            "name": name,
            "color": 0,
            "hoist": False,
            "position": position,
            "permissions": "0",
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }

    return {
        "id": str(GUILD_ID),
        "name": "Chapter",
        "icon": None,
        "owner_id": "1",
        "roles": [
            role(GUILD_ID, "@everyone", 0),
            role(LEAD_ROLE_ID, "Chapter Lead", 2),
            role(MEMBER_ROLE_ID, "Member", 1),
        ],
        "emojis": [],
        "features": [],
        "member_count": 4,
        "members": [],
        "channels": [],
        "threads": [],
        "stickers": [],
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "premium_tier": 0,
        "system_channel_flags": 0,
        "preferred_locale": "en-US",
        "unavailable": False,
    }


def user(uid: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": str(uid),
        "username": name,
        "discriminator": "0",
        "global_name": name,
        "avatar": None,
        "bot": bot,
    }


def _json(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly "application/json": discord.py does not parse "application/json; charset=utf-8".
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


@contextlib.asynccontextmanager
async def serve(fake: FakeDiscord | None = None) -> AsyncIterator[FakeDiscord]:
    """Run `fake` on 127.0.0.1 (a free port) and point discord.py (HTTP and gateway) at it."""
    fake = fake or FakeDiscord()
    runner = web.AppRunner(fake.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    previous, previous_gateway = current_api_base(), current_gateway()
    fake.base = use_api_base(f"http://{host}:{port}/api/v10")
    # Never the real gateway from a test: the fake one unless a test says otherwise.
    fake.gateway = use_gateway(f"ws://{host}:{port}/gateway")
    try:
        yield fake
    finally:
        use_api_base(previous)
        use_gateway(previous_gateway)
        await runner.cleanup()
