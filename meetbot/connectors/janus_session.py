"""One Janus session over one WebSocket: transactions, per-handle events, keepalive.

Janus answers core requests (create, attach, detach, keepalive) with `success`/`error` carrying
the request's transaction id. Plugin messages answer either at once with `success` + plugindata
(VideoRoom create/list/exists) or with `ack` followed later by an `event` with the same
transaction (join, start, publish...). Everything else (events without a pending transaction,
webrtcup, media, hangup, detached) goes to the handle it names in `sender`.

The session ends for good when the socket closes, a keepalive goes unanswered or Janus times the
session out: `lost` is set, pending requests fail with SessionLost and every handle's event
stream ends. The caller (the connector) decides whether to rejoin.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Any, Self

import aiohttp

from meetbot.errors import ConnectError

log = logging.getLogger(__name__)

JsonObject = dict[str, Any]


class JanusError(ConnectError):
    """Janus or one of its plugins refused a request. `code` is Janus's numeric error code."""

    def __init__(self, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.code = code


class SessionLost(ConnectError):
    """The WebSocket or the Janus session went away; nothing sent on it will be answered."""


def _transaction() -> str:
    return secrets.token_hex(6)


class JanusHandle:
    """A plugin handle. Read its events with `async for msg in handle.events()`."""

    def __init__(self, session: JanusSession, handle_id: int, plugin: str) -> None:
        self.session = session
        self.id = handle_id
        self.plugin = plugin
        # Unbounded on purpose: plugin events are small and rare (joins, talking), and dropping
        # one would lose a join or a leave. Media never passes through here.
        self._queue: asyncio.Queue[JsonObject | None] = asyncio.Queue()

    async def message(
        self, body: JsonObject, jsep: JsonObject | None = None, timeout_s: float | None = None
    ) -> JsonObject:
        """Send a plugin request; return the reply whose plugindata answers it.

        Raises JanusError with the plugin's own error code and text when it refuses.
        """
        request: JsonObject = {"janus": "message", "handle_id": self.id, "body": body}
        if jsep is not None:
            request["jsep"] = jsep
        reply = await self.session.request(request, timeout_s=timeout_s, plugin=True)
        data = plugin_data(reply)
        if data.get("error_code") or data.get("error"):
            raise JanusError(
                f"{body.get('request')}: {data.get('error', 'refused')}",
                int(data.get("error_code", 0)),
            )
        return reply

    async def trickle_completed(self) -> None:
        await self.session.request(
            {"janus": "trickle", "handle_id": self.id, "candidate": {"completed": True}}
        )

    async def detach(self) -> None:
        """Detach if the session still lives; a dead session has already dropped the handle."""
        self.session._handles.pop(self.id, None)
        if self.session.lost.is_set():
            return
        with contextlib.suppress(ConnectError, TimeoutError):
            await self.session.request({"janus": "detach", "handle_id": self.id}, timeout_s=5.0)

    async def events(self) -> AsyncIterator[JsonObject]:
        """Events Janus sends this handle, until the session is lost."""
        while (msg := await self._queue.get()) is not None:
            yield msg

    def _deliver(self, msg: JsonObject | None) -> None:
        self._queue.put_nowait(msg)


def plugin_data(reply: JsonObject) -> JsonObject:
    data = reply.get("plugindata", {}).get("data", {})
    return data if isinstance(data, dict) else {}


class JanusSession:
    """`async with JanusSession(url) as s:` connects, creates a session and keeps it alive.

    Pass `http` to share an aiohttp.ClientSession you own; otherwise one is made and closed here.
    """

    def __init__(
        self,
        url: str,
        *,
        http: aiohttp.ClientSession | None = None,
        keepalive_s: float = 25.0,
        timeout_s: float = 10.0,
    ) -> None:
        self.url = url
        self.keepalive_s = keepalive_s
        self.timeout_s = timeout_s
        self.id: int | None = None
        self.lost = asyncio.Event()
        self.lost_reason = ""
        self._http = http
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._handles: dict[int, JanusHandle] = {}
        self._pending: dict[str, tuple[asyncio.Future[JsonObject], bool]] = {}
        self._stack = AsyncExitStack()
        self._tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> Self:
        stack = AsyncExitStack()
        try:
            http = self._http
            if http is None:
                http = await stack.enter_async_context(aiohttp.ClientSession())
            self._ws = await _open_socket(http, self.url, self.timeout_s)
            stack.push_async_callback(self._ws.close)
            group = await stack.enter_async_context(asyncio.TaskGroup())
            stack.callback(self._cancel_tasks)
            self._tasks.append(group.create_task(self._read()))
            reply = await self.request({"janus": "create"})
            self.id = int(reply["data"]["id"])
            self._tasks.append(group.create_task(self._keepalive()))
        except BaseException:
            # aclose() unwinds without passing the error into the TaskGroup, so callers see
            # the ConnectError itself rather than an ExceptionGroup around it.
            self._mark_lost("could not create the session")
            await stack.aclose()
            raise
        self._stack = stack
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self.lost.is_set() and self._ws is not None and self.id is not None:
            with contextlib.suppress(ConnectError, TimeoutError, aiohttp.ClientError):
                await self.request({"janus": "destroy"}, timeout_s=2.0)
        self._mark_lost("session closed")
        await self._stack.aclose()

    async def attach(self, plugin: str = "janus.plugin.videoroom") -> JanusHandle:
        reply = await self.request({"janus": "attach", "plugin": plugin})
        handle = JanusHandle(self, int(reply["data"]["id"]), plugin)
        self._handles[handle.id] = handle
        return handle

    async def request(
        self, msg: JsonObject, timeout_s: float | None = None, plugin: bool = False
    ) -> JsonObject:
        """Send one request and wait for its answer (the `event` for async plugin requests)."""
        if self.lost.is_set() or self._ws is None:
            raise SessionLost(f"Janus session on {self.url} is gone ({self.lost_reason})")
        tid = _transaction()
        msg = {**msg, "transaction": tid}
        if self.id is not None:
            msg.setdefault("session_id", self.id)
        future: asyncio.Future[JsonObject] = asyncio.get_running_loop().create_future()
        self._pending[tid] = (future, plugin)
        try:
            await self._ws.send_str(json.dumps(msg))
            async with asyncio.timeout(timeout_s or self.timeout_s):
                reply = await future
        except (ConnectionError, aiohttp.ClientError) as exc:
            raise SessionLost(f"cannot send to Janus at {self.url}: {exc}") from exc
        except TimeoutError as exc:
            raise SessionLost(
                f"Janus at {self.url} did not answer {msg.get('janus')!r} in "
                f"{timeout_s or self.timeout_s:g} s"
            ) from exc
        finally:
            self._pending.pop(tid, None)
        if reply.get("janus") == "error":
            error = reply.get("error", {})
            raise JanusError(
                f"{msg.get('janus')}: {error.get('reason', 'refused')}", int(error.get("code", 0))
            )
        return reply

    async def abort(self, reason: str) -> None:
        """Drop the socket without `destroy`, as a crashed client would (the lab uses this):
        Janus then tears the session down as for a killed browser tab."""
        self._mark_lost(reason)
        if self._ws is not None:
            await self._ws.close()

    async def _read(self) -> None:
        # Children of the session's TaskGroup never raise: a failure would cancel the caller's
        # task. Every way this loop can end is reported as a lost session instead.
        assert self._ws is not None
        try:
            async for frame in self._ws:
                if frame.type != aiohttp.WSMsgType.TEXT:
                    break
                self._route(json.loads(frame.data))
        except Exception as exc:
            self._mark_lost(f"connection broke: {exc}")
        self._mark_lost("Janus closed the connection")

    def _route(self, msg: JsonObject) -> None:
        kind = msg.get("janus")
        pending = self._pending.get(msg.get("transaction") or "")
        if pending is not None:
            future, plugin = pending
            # For plugin messages the ack only says "queued": the answer is the later event.
            if not (kind == "ack" and plugin) and not future.done():
                future.set_result(msg)
            return
        if kind == "timeout":
            self._mark_lost("Janus timed the session out")
            return
        handle = self._handles.get(msg.get("sender", -1))
        if handle is not None:
            handle._deliver(msg)
        elif kind not in ("ack", "success"):
            log.debug("unrouted Janus message: %s", kind)

    async def _keepalive(self) -> None:
        while not self.lost.is_set():
            await asyncio.sleep(self.keepalive_s)
            try:
                await self.request({"janus": "keepalive"}, timeout_s=self.timeout_s)
            except Exception as exc:  # never raise inside the TaskGroup (see _read)
                self._mark_lost(f"keepalive failed: {exc}")
                if self._ws is not None:
                    with contextlib.suppress(Exception):
                        await self._ws.close()

    def _mark_lost(self, reason: str) -> None:
        if self.lost.is_set():
            return
        self.lost_reason = reason
        self.lost.set()
        for future, _ in self._pending.values():
            if not future.done():
                future.set_exception(SessionLost(f"Janus session on {self.url} lost: {reason}"))
        for handle in self._handles.values():
            handle._deliver(None)

    def _cancel_tasks(self) -> None:
        for task in self._tasks:
            task.cancel()


async def _open_socket(
    http: aiohttp.ClientSession, url: str, timeout_s: float
) -> aiohttp.ClientWebSocketResponse:
    try:
        async with asyncio.timeout(timeout_s):
            return await http.ws_connect(
                url,
                protocols=("janus-protocol",),
                max_msg_size=0,  # SDP offers for many streams exceed aiohttp's 4 MiB default
                timeout=aiohttp.ClientWSTimeout(ws_close=2.0),
            )
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise ConnectError(
            f"cannot reach Janus at {url} ({exc or 'timed out'}); check meeting.url and that "
            "Janus is running"
        ) from exc


async def server_info(url: str, http: aiohttp.ClientSession, timeout_s: float = 2.0) -> JsonObject:
    """Janus's `info` reply (name, version, plugins), without creating a session."""
    ws = await _open_socket(http, url, timeout_s)
    try:
        await ws.send_str(json.dumps({"janus": "info", "transaction": _transaction()}))
        async with asyncio.timeout(timeout_s):
            frame = await ws.receive()
        if frame.type != aiohttp.WSMsgType.TEXT:
            raise ConnectError(f"Janus at {url} closed the connection instead of answering info")
        reply: JsonObject = json.loads(frame.data)
        return reply
    except TimeoutError as exc:
        raise ConnectError(f"Janus at {url} did not answer info in {timeout_s:g} s") from exc
    finally:
        await ws.close()
